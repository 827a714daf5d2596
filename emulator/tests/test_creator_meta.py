"""Creator metadata in both URL families, and the Creator error bodies of auth and routing."""

from __future__ import annotations

import pytest

from tests.support import BENIN, OWNER, CreatorClient, bulk, creator_body

AUTH_FAILURE = {
    "code": 1030,
    "message": "Authorization Failure. The access token is either invalid or has expired.",
}
SCOPE = {
    "code": 2945,
    "message": "This is an invalid oauthscope. Please regenerate the oauthtoken corresponding to the API"
    " with proper oauthscope.",
}


def meta_paths(tail: str) -> list[str]:
    """A metadata path in every family and version."""
    return [f"/api/v2/{tail}", f"/api/v2.1/{tail}", f"/creator/v2/meta/{tail}", f"/creator/v2.1/meta/{tail}"]


@pytest.mark.parametrize("path", meta_paths("applications") + meta_paths(f"{OWNER}/applications")[2:])
def test_applications(cclient, cemu, path):
    response = cclient.get(path)
    assert response.status_code == 200
    body = creator_body(response)
    assert body["code"] == 3000
    assert body["applications"] == [
        cemu.dataset.creator_app(OWNER, "sales-benin"),
        cemu.dataset.creator_app(OWNER, "sales-burkina"),
    ]


@pytest.mark.parametrize("path", meta_paths(f"{BENIN}/forms"))
def test_forms(cclient, path):
    body = creator_body(cclient.get(path))
    assert body == {
        "code": 3000,
        "forms": [
            {"display_name": "Client", "link_name": "Client", "type": 1},
            {"display_name": "Offre", "link_name": "Offre", "type": 1},
        ],
    }


@pytest.mark.parametrize("path", meta_paths(f"{BENIN}/reports"))
def test_reports(cclient, path):
    body = creator_body(cclient.get(path))
    assert body["code"] == 3000
    assert [r["link_name"] for r in body["reports"]] == [
        "Tous_les_Offres",
        "All_Clients",
        "Pipeline_Commercial",
    ]
    assert all(
        set(r) == {"display_name", "link_name", "type"} and isinstance(r["type"], int)
        for r in body["reports"]
    )


@pytest.mark.parametrize("path", meta_paths(f"{BENIN}/form/Offre/fields"))
def test_fields(cclient, cemu, path):
    body = creator_body(cclient.get(path))
    assert body == {"code": 3000, "fields": cemu.dataset.fields("creator", f"{BENIN}/Offre")}


def test_sections_and_empty_pages(cclient):
    body = creator_body(cclient.get(f"/creator/v2.1/meta/{BENIN}/sections"))
    assert body["code"] == 3000
    by_section = {
        s["link_name"]: [(c["type"], c["link_name"]) for c in s["components"]] for s in body["sections"]
    }
    assert by_section == {
        "Clients": [(1, "Client"), (2, "All_Clients")],
        "Offres": [(1, "Offre"), (2, "Tous_les_Offres")],
        "Pilotage": [(2, "Pipeline_Commercial")],  # a section of reports only, as in Zoho's example
    }
    for path in (f"/creator/v2/meta/{BENIN}/pages", f"/api/v2/{BENIN}/pages"):
        response = cclient.get(path)
        assert (response.status_code, creator_body(response)) == (
            200,
            {"code": 3920, "message": "No pages available."},
        )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/api/v2/nobody/sales-benin/forms",
            {"code": 1040, "message": 'No account owner named "nobody" found.'},
        ),
        (
            "/creator/v2/meta/nobody/applications",
            {"code": 1040, "message": 'No account owner named "nobody" found.'},
        ),
        (
            f"/creator/v2.1/meta/{OWNER}/sales-mali/reports",
            {"code": 2892, "message": "No application named sales-mali found. Please check and try again."},
        ),
        (
            f"/api/v2/{BENIN}/form/Facture/fields",
            {"code": 2893, "message": "No form named Facture found. Please check and try again."},
        ),
        (
            bulk(f"{BENIN}/Toutes_les_Factures") + "/2000000010003",
            {
                "code": 2894,
                "message": "No report named Toutes_les_Factures found. Please check and try again.",
            },
        ),
        ("/api/v3/applications", {"code": 1000, "message": "Invalid API URL format."}),
        (
            f"/api/bulk/v2/{BENIN}/report/Tous_les_Offres",
            {"code": 1000, "message": "Invalid API URL format."},
        ),
        ("/creator/v2/meta/a/b/c/d/e", {"code": 1000, "message": "Invalid API URL format."}),
    ],
)
def test_not_found_bodies(cclient, path, expected):
    response = cclient.get(path)
    assert response.status_code == 404
    assert creator_body(response) == expected


def test_wrong_method_is_405_1020(cclient):
    url = cclient.emu.url
    for method, path in (
        ("GET", bulk(f"{BENIN}/Tous_les_Offres")),
        ("POST", bulk(f"{BENIN}/Tous_les_Offres") + "/2000000010003"),
        ("DELETE", bulk(f"{BENIN}/Tous_les_Offres", "v2", "zohoapis") + "/2000000010003/result"),
        ("POST", "/api/v2/applications"),
    ):
        response = cclient.http.request(method, url + path, headers=cclient.headers())
        assert response.status_code == 405, (method, path)
        assert creator_body(response) == {
            "code": 1020,
            "message": f"{method} is not a valid method for this request.",
        }


def test_crm_paths_keep_crm_errors(cclient):
    response = cclient.get("/crm/bulk/v9/read")
    assert response.json()["code"] == "INVALID_URL_PATTERN"


def test_bad_tokens_are_1030(cclient, make_emulator):
    url = cclient.emu.url + "/api/v2/applications"
    token = cclient.token
    for headers in (
        {},
        {"Authorization": f"Bearer {token}"},
        {"Authorization": token},
        {"Authorization": "Zoho-oauthtoken 1000.dead.beef"},
    ):
        response = cclient.http.get(url, headers=headers)
        assert response.status_code == 401, headers
        assert creator_body(response) == AUTH_FAILURE
    emu = make_emulator(records_per_module=2)
    client = CreatorClient(emu)
    assert client.get("/api/v2/applications").status_code == 200
    emu.faults.expire_access_tokens()
    response = client.get("/api/v2/applications")
    assert (response.status_code, response.json()) == (401, AUTH_FAILURE)


@pytest.mark.parametrize(
    ("missing", "method", "path"),
    [
        ("ZohoCreator.dashboard.READ", "GET", "/api/v2/applications"),
        ("ZohoCreator.dashboard.READ", "GET", f"/creator/v2/meta/{OWNER}/applications"),
        ("ZohoCreator.meta.application.READ", "GET", f"/creator/v2.1/meta/{BENIN}/forms"),
        ("ZohoCreator.meta.application.READ", "GET", f"/api/v2/{BENIN}/reports"),
        ("ZohoCreator.meta.application.READ", "GET", f"/api/v2/{BENIN}/sections"),
        ("ZohoCreator.meta.form.READ", "GET", f"/api/v2/{BENIN}/form/Offre/fields"),
        ("ZohoCreator.bulk.CREATE", "POST", bulk(f"{BENIN}/Tous_les_Offres")),
        ("ZohoCreator.bulk.READ", "GET", bulk(f"{BENIN}/Tous_les_Offres") + "/2000000010003"),
        ("ZohoCreator.bulk.READ", "GET", bulk(f"{BENIN}/Tous_les_Offres", "v2") + "/2000000010003/result"),
    ],
)
def test_missing_scope_is_2945(make_emulator, missing, method, path):
    emu = make_emulator(records_per_module=2)
    scopes = [s for s in emu.options.scopes if s != missing]
    emu.add_refresh_token("1000.narrow.creator", scopes)
    client = CreatorClient(emu, "1000.narrow.creator")
    response = client.post(path, {"query": {}}) if method == "POST" else client.get(path)
    assert (response.status_code, creator_body(response)) == (401, SCOPE)
    # the other Creator scopes still work with this token
    if missing != "ZohoCreator.dashboard.READ":
        assert client.get("/api/v2/applications").status_code == 200


def test_requests_are_logged(make_emulator):
    emu = make_emulator(records_per_module=2)
    client = CreatorClient(emu)
    client.get(f"/creator/v2/meta/{BENIN}/forms")
    entry = emu.requests[-1]
    assert (entry.method, entry.path, entry.status) == ("GET", f"/creator/v2/meta/{BENIN}/forms", 200)
    assert entry.headers["Authorization"] == "Zoho-oauthtoken ***"
    client.post(bulk(f"{BENIN}/All_Clients"), {"query": {"max_records": 100000}})
    assert emu.requests[-1].json == {"query": {"max_records": 100000}}
