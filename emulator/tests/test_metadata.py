"""Metadata endpoints: modules and fields for CRM and Bigin."""

from __future__ import annotations

import pytest

from tests.support import error_code

MODULE_KEYS = {"api_name", "module_name", "singular_label", "plural_label", "id", "api_supported",
               "generated_type", "visible", "creatable", "status"}  # fmt: skip
FIELD_KEYS = {"api_name", "field_label", "display_label", "data_type", "json_type", "length", "decimal_place",
              "system_mandatory", "read_only", "custom_field", "visible", "lookup", "pick_list_values",
              "formula", "id"}  # fmt: skip
ALL_TYPES = {"text", "textarea", "email", "phone", "website", "picklist", "multiselectpicklist", "integer",
             "bigint", "double", "currency", "percent", "boolean", "date", "datetime", "lookup",
             "ownerlookup", "autonumber", "formula", "fileupload", "multiselectlookup"}  # fmt: skip


def test_crm_modules(client, emu):
    response = client.get("/crm/v8/settings/modules")
    assert response.status_code == 200
    modules = {m["api_name"]: m for m in response.json()["modules"]}
    assert all(set(m) >= MODULE_KEYS for m in modules.values())
    for name in ("Leads", "Contacts", "Accounts", "Deals", "Sales_Orders", "Shipments"):
        assert modules[name]["api_supported"] is True
    assert modules["Shipments"]["generated_type"] == "custom"
    assert modules["Contacts_X_Deals"]["generated_type"] == "linking"
    assert modules["Visits"]["api_supported"] is False
    assert {"Notes", "Attachments", "Emails"} <= set(modules)
    assert response.json()["modules"] == emu.dataset.module_meta("crm")
    one = client.get("/crm/v2.1/settings/modules/Deals").json()["modules"]
    assert one == [modules["Deals"]]
    assert error_code(client.get("/crm/v8/settings/modules/Nope")) == "INVALID_MODULE"


def test_bigin_modules(client):
    modules = {m["api_name"]: m for m in client.get("/bigin/v2/settings/modules").json()["modules"]}
    assert set(modules) == {"Accounts", "Contacts", "Pipelines", "Products", "Notes"}
    assert modules["Accounts"]["plural_label"] == "Companies"
    assert client.get("/bigin/v1/settings/modules").status_code == 200


@pytest.mark.parametrize("product", ["crm", "bigin"])
def test_fields_cover_every_type(client, emu, product):
    prefix = "/crm/v8" if product == "crm" else "/bigin/v2"
    seen = set()
    formula_types = set()
    for module in emu.dataset.modules(product):
        response = client.get(f"{prefix}/settings/fields", params={"module": module, "type": "all"})
        assert response.status_code == 200
        fields = response.json()["fields"]
        assert fields == emu.dataset.fields(product, module)
        names = {f["api_name"] for f in fields}
        assert {"Owner", "Created_Time", "Modified_Time", "Created_By", "Modified_By"} <= names
        for field in fields:
            assert set(field) >= FIELD_KEYS, field
            seen.add(field["data_type"])
            if field["data_type"] == "lookup":
                assert field["lookup"]["module"]["api_name"] in emu.dataset.modules(product)
            if field["data_type"] in ("picklist", "multiselectpicklist"):
                assert all(set(v) >= {"display_value", "actual_value"} for v in field["pick_list_values"])
                assert not any(";" in v["actual_value"] for v in field["pick_list_values"])
            if field["data_type"] == "formula":
                formula_types.add(field["formula"]["return_type"])
    assert seen >= ALL_TYPES
    assert {"double", "text"} <= formula_types


def test_field_errors(client):
    response = client.get("/crm/v8/settings/fields")
    assert (response.status_code, error_code(response)) == (400, "REQUIRED_PARAM_MISSING")
    response = client.get("/crm/v8/settings/fields", params={"module": "Nope"})
    assert (response.status_code, error_code(response)) == (400, "INVALID_MODULE")
    response = client.get("/bigin/v3/settings/fields", params={"module": "Contacts"})
    assert (response.status_code, error_code(response)) == (404, "INVALID_URL_PATTERN")
    response = client.post("/crm/v8/settings/modules", {})
    assert (response.status_code, error_code(response)) == (400, "INVALID_REQUEST_METHOD")
