"""The emulator's own control API (POST /_emulator/mutate) and `zoho-emulator mutate`, checked the
way a client sees the change: through the bulk read, count and deleted-records APIs over HTTP."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
from zoho_emulator.__main__ import _parser, main
from zoho_emulator.control import MUTATE_PATH, TOKEN_HEADER, ControlApi
from zoho_emulator.core.javadate import format_pattern
from zoho_emulator.core.routing import Request
from zoho_emulator.mutate import DEFAULT_URL, TOKEN_ENV, _base_url

from tests.support import BENIN, Client, CreatorClient, bulk, error_code

CRM8 = "/crm/bulk/v8"
BIGIN2 = "/bigin/bulk/v2"
OFFRES = f"{BENIN}/Tous_les_Offres"
PIPELINE = f"{BENIN}/Pipeline_Commercial"


@pytest.fixture
def emu(make_emulator):
    """A private emulator (the tests change its data), jobs done at once, one page per export."""
    return make_emulator(records_per_module=8, page_size=1000, creator_batch_size=1000, job_duration=0)


def mutate(emu, headers=None, **body):
    return requests.post(emu.url + MUTATE_PATH, json=body, headers=headers or {}, timeout=10)


def exported(client: Client, base: str, module: str) -> dict[str, dict[str, str]]:
    """Every row of a fresh export, by id, as {column: cell}."""
    _, rows = client.export_page(base, {"module": {"api_name": module} if base == CRM8 else module})
    header = rows[0]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}


def creator_rows(client: CreatorClient, path: str) -> dict[str, dict[str, str]]:
    _, rows, _ = client.export_batch(bulk(path))
    header = rows[0]
    return {row[header.index("ID")]: dict(zip(header, row, strict=True)) for row in rows[1:]}


def run_cli(capsys, *argv: str) -> tuple[int, list[str], str]:
    code = main(["mutate", *argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


# ------------------------------------------------------------------ the endpoint, seen through Zoho's APIs
def test_added_records_are_in_the_next_export_and_count_stamped_now(emu):
    client = Client(emu)
    before = client.get("/crm/v8/Leads/actions/count").json()["count"]
    answer = mutate(emu, action="add", product="crm", module="Leads", count=3)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["action"], body["product"], body["module"]) == ("add", "crm", "Leads")
    changes = body["changes"]
    assert len(changes) == 3 and all(set(c) == {"id", "Created_Time", "Modified_Time"} for c in changes)
    now = dt.datetime.now(dt.UTC)
    for change in changes:
        created = dt.datetime.fromisoformat(change["Created_Time"])
        assert created.utcoffset() == dt.timedelta(hours=5, minutes=30)  # the org's offset
        assert abs((created - now).total_seconds()) < 5 and change["Modified_Time"] == change["Created_Time"]
    rows = exported(client, CRM8, "Leads")
    for change in changes:
        assert rows[change["id"]]["Created_Time"] == change["Created_Time"]
        assert rows[change["id"]]["Modified_Time"] == change["Modified_Time"]
    assert client.get("/crm/v8/Leads/actions/count").json()["count"] == before + 3
    start = dt.datetime.fromisoformat(changes[0]["Created_Time"]).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    since = {"field": {"api_name": "Created_Time"}, "comparator": "greater_equal", "value": start}
    _, window = client.export_page(CRM8, {"module": {"api_name": "Leads"}, "criteria": since})
    assert {row[0] for row in window[1:]} == {c["id"] for c in changes}  # what an incremental sync reads


def test_modified_records_show_the_new_time_and_text(emu):
    client = Client(emu)
    records = emu.dataset.records("crm", "Leads")
    oldest = sorted(records, key=lambda r: r["Modified_Time"])[:2]
    answer = mutate(emu, action="modify", product="crm", module="Leads", count=2).json()
    changes = answer["changes"]
    assert [c["id"] for c in changes] == [r["id"] for r in oldest]  # the records modified longest ago
    rows = exported(client, CRM8, "Leads")
    for change in changes:
        assert change["field"] == "Description" and change["value"].startswith("Edited by zoho-emulator mutate at ")
        row = rows[change["id"]]
        assert row["Modified_Time"] == change["Modified_Time"] and row["Description"] == change["value"]
    by_id = mutate(emu, action="modify", product="bigin", module="Contacts", ids=[changes[0]["id"]])
    assert by_id.status_code == 404  # a CRM id is no Bigin record
    contact = emu.dataset.records("bigin", "Contacts")[3]["id"]
    (change,) = mutate(emu, action="modify", product="bigin", module="Contacts", ids=[contact]).json()["changes"]
    assert exported(client, BIGIN2, "Contacts")[contact]["Modified_Time"] == change["Modified_Time"]


def test_deleted_records_leave_exports_and_are_listed_as_deleted(emu):
    client = Client(emu)
    oldest = sorted(emu.dataset.records("bigin", "Contacts"), key=lambda r: r["Created_Time"])[:2]
    answer = mutate(emu, action="delete", product="bigin", module="Contacts", count=2).json()
    changes = answer["changes"]
    assert [c["id"] for c in changes] == [r["id"] for r in oldest]  # created first
    assert all(set(c) == {"id", "deleted_time", "type", "display_name"} and c["type"] == "recycle" for c in changes)
    rows = exported(client, BIGIN2, "Contacts")
    assert not {c["id"] for c in changes} & set(rows) and len(rows) == 6
    listed = client.get("/bigin/v2/Contacts/deleted").json()["data"]
    assert {(e["id"], e["deleted_time"], e["type"]) for e in listed} == {
        (c["id"], c["deleted_time"], "recycle") for c in changes
    }
    lead = emu.dataset.records("crm", "Leads")[0]["id"]
    (gone,) = mutate(emu, action="delete", product="crm", module="Leads", ids=[lead], type="permanent").json()["changes"]
    assert gone["type"] == "permanent"
    (entry,) = client.get("/crm/v8/Leads/deleted", params={"type": "permanent"}).json()["data"]
    assert entry["id"] == lead and entry["deleted_time"] == gone["deleted_time"]


def test_creator_reports_add_modify_delete(emu):
    client = CreatorClient(emu)
    added = mutate(emu, action="add", product="creator", module=OFFRES, count=2).json()["changes"]
    assert all(set(c) == {"id", "Added_Time", "Modified_Time"} for c in added)
    stamp = dt.datetime.fromisoformat(added[0]["Added_Time"])
    assert stamp.utcoffset() == dt.timedelta(hours=1)  # Africa/Porto-Novo, the app's zone
    rows = creator_rows(client, OFFRES)
    for change in added:
        cell = format_pattern(dt.datetime.fromisoformat(change["Added_Time"]), "dd-MMM-yyyy HH:mm:ss")
        assert rows[change["id"]]["Added_Time"] == cell
    (changed,) = mutate(emu, action="modify", product="creator", module=OFFRES, ids=[added[0]["id"]]).json()["changes"]
    assert changed["field"] == "Description"
    assert creator_rows(client, OFFRES)[changed["id"]]["Description"] == changed["value"]
    victim = emu.dataset.records("creator", OFFRES)[0]["ID"]
    (gone,) = mutate(emu, action="delete", product="creator", module=OFFRES, ids=[victim]).json()["changes"]
    assert set(gone) == {"id", "deleted_time"}
    assert victim not in creator_rows(client, OFFRES) and victim not in creator_rows(client, PIPELINE)
    refused = mutate(emu, action="delete", product="creator", module=OFFRES, count=1, type="permanent")
    assert refused.status_code == 400 and "CRM and Bigin" in refused.json()["error"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"action": "add", "product": "desk", "module": "Leads"}, 404, "unknown product 'desk': crm, bigin or creator"),
        ({"action": "add", "product": "crm", "module": "leads"}, 404, "unknown crm module 'leads': did you mean Leads?"),
        ({"action": "add", "product": "crm", "module": "Zzz"}, 404, "unknown crm module 'Zzz': it has: Accounts, "),
        ({"action": "add", "product": "creator", "module": "sales-benin/All_Clients"}, 404,
         "unknown Creator report 'sales-benin/All_Clients': did you mean acme/sales-benin/All_Clients"),
        ({"action": "modify", "product": "crm", "module": "Leads", "ids": ["42"]}, 404, "no record 42 in crm/Leads"),
        ({"action": "delete", "product": "crm", "module": "Leads", "count": 9}, 400, "crm/Leads has 8 records: cannot delete 9"),
        ({"action": "delete", "product": "crm", "module": "Leads"}, 400, "give count (how many records) or ids"),
        ({"action": "modify", "product": "crm", "module": "Leads", "count": 1, "ids": ["1"]}, 400, "give ids or count, not both"),
        ({"action": "add", "product": "crm", "module": "Leads", "count": 0}, 400, "count must be a whole number from 1 to 200000"),
        ({"action": "add", "product": "crm", "module": "Leads", "count": True}, 400, "count must be"),
        ({"action": "add", "product": "crm", "module": "Leads", "ids": ["1"]}, 400, "add creates new records"),
        ({"action": "add", "product": "crm", "module": "Leads", "colour": 1}, 400, "unknown keys ['colour']"),
        ({"action": "delete", "product": "crm", "module": "Leads", "count": 1, "type": "trash"}, 400, "type must be one of"),
        ({"action": "undo", "product": "crm", "module": "Leads"}, 400, "action must be one of add, modify, delete"),
    ],
)
def test_refusals_are_one_line_and_change_nothing(emu, body, status, message):
    before = emu.dataset.records("crm", "Leads")
    answer = mutate(emu, **body)
    assert answer.status_code == status
    assert answer.json()["error"].startswith(message) and "\n" not in answer.json()["error"]
    assert emu.dataset.records("crm", "Leads") == before


def test_control_paths_methods_and_bodies(emu):
    assert requests.get(emu.url + MUTATE_PATH, timeout=10).status_code == 405
    assert requests.post(emu.url + MUTATE_PATH, data=b"nope", timeout=10).status_code == 400
    assert requests.get(emu.url + "/_emulator/nothing", timeout=10).status_code == 404
    listed = requests.get(emu.url + "/_emulator/modules", timeout=10).json()
    assert "Leads" in listed["crm"] and "Pipelines" in listed["bigin"] and OFFRES in listed["creator"]


def test_control_requests_are_not_zoho_traffic(emu):
    """Not in the request log, and faults armed on every path do not touch them."""
    emu.clear_requests()
    emu.faults.maintenance_page(".*", times=None)
    assert mutate(emu, action="add", product="crm", module="Leads").status_code == 200
    assert emu.requests == []
    emu.faults.clear()


def test_control_api_can_be_switched_off(make_emulator):
    emu = make_emulator(records_per_module=2, control_api=False)
    answer = mutate(emu, action="add", product="crm", module="Leads")
    assert answer.status_code == 404 and error_code(answer) == "INVALID_URL_PATTERN"  # as any unknown URL


def test_only_loopback_without_a_token_and_anyone_with_it(make_emulator):
    emu = make_emulator(records_per_module=2)
    api = ControlApi(emu.dataset, emu.options)
    body = json.dumps({"action": "add", "product": "crm", "module": "Leads"}).encode()
    request = Request("POST", MUTATE_PATH, {}, {}, body)
    refused = api.handle(request, "192.168.1.20")
    assert refused.status == 403 and b"--control-token" in refused.body
    assert api.handle(request, "127.0.0.1").status == 200
    assert api.handle(request, "::1").status == 200 and api.handle(request, "::ffff:127.0.0.1").status == 200
    guarded = make_emulator(records_per_module=2, control_token="s3cret")
    api = ControlApi(guarded.dataset, guarded.options)
    assert api.handle(request, "127.0.0.1").status == 403  # a token set: always needed
    with_token = Request("POST", MUTATE_PATH, {}, {TOKEN_HEADER: "s3cret"}, body)
    assert api.handle(with_token, "192.168.1.20").status == 200
    wrong = Request("POST", MUTATE_PATH, {}, {TOKEN_HEADER: "guess"}, body)
    assert api.handle(wrong, "127.0.0.1").status == 403
    assert mutate(guarded, action="add", product="crm", module="Leads").status_code == 403
    assert mutate(guarded, {TOKEN_HEADER: "s3cret"}, action="add", product="crm", module="Leads").status_code == 200


# ------------------------------------------------------------------ the CLI
def test_cli_add_modify_delete_print_one_line_per_change(emu, capsys):
    client = Client(emu)
    code, lines, err = run_cli(capsys, "--url", emu.url, "add", "crm", "Leads", "--count", "2")
    assert (code, err) == (0, "") and len(lines) == 2
    added = [line.split() for line in lines]
    assert all(words[:2] == ["added", "crm/Leads"] for words in added)
    rows = exported(client, CRM8, "Leads")
    for words in added:
        assert words[3] == f"Created_Time={rows[words[2]]['Created_Time']}"
        assert words[4] == f"Modified_Time={rows[words[2]]['Modified_Time']}"

    code, lines, _ = run_cli(capsys, "modify", "crm", "Leads", "--id", added[0][2], "--url", emu.url)
    assert code == 0 and len(lines) == 1
    assert lines[0].startswith(f"modified crm/Leads {added[0][2]} Modified_Time=")
    assert ' field=Description value="Edited by zoho-emulator mutate at ' in lines[0]

    code, lines, _ = run_cli(capsys, "--url", emu.url, "delete", "bigin", "Contacts", "--count", "2", "--permanent")
    assert code == 0 and len(lines) == 2
    ids = [line.split()[2] for line in lines]
    assert all(line.startswith("deleted bigin/Contacts ") and " type=permanent " in line for line in lines)
    listed = client.get("/bigin/v2/Contacts/deleted").json()["data"]
    assert {e["id"] for e in listed} == set(ids)
    assert {f"deleted_time={e['deleted_time']}" for e in listed} == {line.split()[3] for line in lines}
    assert not set(ids) & set(exported(client, BIGIN2, "Contacts"))


def test_cli_creator_reports_and_a_config_file(emu, capsys, tmp_path):
    config = tmp_path / "emulator-config.json"
    config.write_text(json.dumps(emu.tap_config()))
    code, lines, _ = run_cli(capsys, "--config", str(config), "add", "creator", OFFRES)
    assert code == 0 and len(lines) == 1 and lines[0].startswith(f"added creator/{OFFRES} ")
    record_id = lines[0].split()[2]
    assert record_id in creator_rows(CreatorClient(emu), OFFRES)
    code, lines, _ = run_cli(capsys, "delete", "creator", OFFRES, "--id", record_id, "--config", str(config))
    assert code == 0 and lines[0].startswith(f"deleted creator/{OFFRES} {record_id} deleted_time=")
    assert record_id not in creator_rows(CreatorClient(emu), OFFRES)


def test_cli_errors_are_one_line_and_exit_2(emu, capsys, tmp_path):
    cases = [
        (["add", "desk", "Leads"], "unknown product 'desk': crm, bigin or creator"),
        (["add", "crm", "Lead"], "unknown crm module 'Lead': did you mean Leads?"),
        (["add", "creator", "acme/sales-benin/Nope"], "unknown Creator report 'acme/sales-benin/Nope': "),
        (["modify", "crm", "Leads", "--id", "12x"], "no record 12x in crm/Leads"),
        (["delete", "bigin", "Contacts", "--id", "1", "--id", "2"], "no record 1, 2 in bigin/Contacts"),
        (["delete", "crm", "Leads", "--count", "99"], "crm/Leads has 8 records: cannot delete 99"),
    ]
    for argv, message in cases:
        code, lines, err = run_cli(capsys, "--url", emu.url, *argv)
        assert (code, lines) == (2, []), argv
        assert err.startswith(f"zoho-emulator mutate: {message}") and err.count("\n") == 1, err
    refused = emu.refused_url()
    code, _, err = run_cli(capsys, "--url", refused, "add", "crm", "Leads")
    assert code == 2 and err.startswith(f"zoho-emulator mutate: cannot reach the emulator at {refused} (")
    assert err.count("\n") == 1
    code, _, err = run_cli(capsys, "--config", str(tmp_path / "missing.json"), "add", "crm", "Leads")
    assert code == 2 and err.startswith("zoho-emulator mutate: cannot read --config ")
    code, _, err = run_cli(capsys, "--url", "ftp://x", "add", "crm", "Leads")
    assert code == 2 and "--url must be an http:// URL" in err
    code, _, err = run_cli(capsys, "--url", emu.url + "/crm", "add", "crm", "Leads")  # not the emulator's root
    assert code == 2 and "not a zoho-emulator with its control API" in err
    assert len(emu.dataset.records("crm", "Leads")) == 8  # nothing changed


def test_cli_token(make_emulator, capsys, monkeypatch):
    emu = make_emulator(records_per_module=2, control_token="s3cret")
    code, _, err = run_cli(capsys, "--url", emu.url, "add", "crm", "Leads")
    assert code == 2 and f"wrong or missing {TOKEN_HEADER}" in err
    code, lines, _ = run_cli(capsys, "add", "crm", "Leads", "--url", emu.url, "--token", "s3cret")
    assert code == 0 and len(lines) == 1
    monkeypatch.setenv(TOKEN_ENV, "s3cret")
    code, lines, _ = run_cli(capsys, "--url", emu.url, "add", "crm", "Leads")
    assert code == 0 and len(lines) == 1


def test_cli_usage_errors_exit_2(capsys):
    for argv in (["mutate"], ["mutate", "modify", "crm", "Leads"], ["mutate", "add", "crm", "Leads", "--count", "0"],
                 ["mutate", "delete", "crm", "Leads", "--count", "1", "--id", "1"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2, argv
    capsys.readouterr()


def test_serving_stays_the_default_command():
    args = _parser().parse_args(["--port", "8765"])
    assert (args.command, args.port, args.control_api, args.control_token) == (None, 8765, True, None)
    off = _parser().parse_args(["--no-control-api", "--control-token", "t"])
    assert (off.control_api, off.control_token) == (False, "t")
    mutate_args = _parser().parse_args(["mutate", "--url", "http://h:1", "add", "crm", "Leads"])
    assert (mutate_args.command, mutate_args.url, mutate_args.count) == ("mutate", "http://h:1", 1)
    after = _parser().parse_args(["mutate", "delete", "crm", "Leads", "--id", "1", "--id", "2", "--url", "http://h:2"])
    assert (after.url, after.ids, after.type) == ("http://h:2", ["1", "2"], None)
    default = _parser().parse_args(["mutate", "add", "crm", "Leads"])
    assert _base_url(default) == DEFAULT_URL == "http://127.0.0.1:8765"  # the Meltano section's emulator


def test_every_mutate_option_has_a_help_text():
    def walk(parser):
        for action in parser._actions:
            assert action.help, (parser.prog, action.option_strings or action.dest)
            for sub in getattr(action, "choices", None) or {}:
                if isinstance(action.choices, dict):
                    walk(action.choices[sub])

    walk(_parser())
