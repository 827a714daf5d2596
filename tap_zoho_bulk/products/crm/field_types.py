"""How CRM and Bigin fields become JSON Schema: one table from Zoho's `data_type`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tap_zoho_bulk.schema import BOOLEAN, DATE, DATETIME, INTEGER, NUMBER, STRING, STRING_LIST

# CRM / Bigin `data_type` (https://www.zoho.com/crm/developer/docs/api/v8/field-meta.html) → JSON
# Schema. Ids exceed float precision: strings.
CRM_TYPES: dict[str, dict[str, Any]] = {
    "integer": INTEGER,
    "bigint": STRING,
    "long": STRING,
    "lookup": STRING,
    "ownerlookup": STRING,
    "userlookup": STRING,
    "autonumber": STRING,
    "id": STRING,
    "double": NUMBER,
    "currency": NUMBER,
    "percent": NUMBER,
    "decimal": NUMBER,
    "boolean": BOOLEAN,
    "date": DATE,
    "datetime": DATETIME,
    "multiselectpicklist": STRING_LIST,
}
NUMERIC_RETURN_TYPES = {"double", "integer", "currency", "percent", "decimal", "bigint", "long"}
# Field types bulk read refuses in `fields`, left out of the schema:
# https://www.zoho.com/crm/developer/docs/api/bulk-read/limitations.html
CRM_UNSUPPORTED_TYPES = {"fileupload", "multiselectlookup", "subform", "imageupload"}
# Fields bulk read refuses although their type looks fine (seen in production by Estuary's Zoho
# connector: https://github.com/estuary/connectors/tree/main/source-zoho).
CRM_UNSUPPORTED_FIELDS = {
    ("Calls", "CTI_Entry"), ("Cases", "Comments"), ("Events", "Participants"),
    ("Price_Books", "Pricing_Details"), ("Solutions", "Comments"),
    ("Invoices", "Invoiced_Items"), ("Purchase_Orders", "Purchase_Items"),
    ("Quotes", "Quoted_Items"), ("Sales_Orders", "Ordered_Items"),
}


def crm_property(field: Mapping[str, Any]) -> dict[str, Any] | None:
    """JSON schema of one CRM/Bigin field, or None when bulk read cannot export it."""
    data_type = str(field.get("data_type") or "").lower()
    if data_type in CRM_UNSUPPORTED_TYPES:
        return None
    if data_type == "formula":
        return_type = str((field.get("formula") or {}).get("return_type") or "").lower()
        return dict(NUMBER if return_type in NUMERIC_RETURN_TYPES else STRING)
    return dict(CRM_TYPES.get(data_type, STRING))


def crm_schema(module: str, fields: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Stream schema for a CRM/Bigin module: `id` plus every exportable field."""
    properties: dict[str, Any] = {"id": {"type": ["string"]}}
    for field in fields:
        name = field.get("api_name")
        if not name or name == "id" or (module, name) in CRM_UNSUPPORTED_FIELDS:
            continue
        prop = crm_property(field)
        if prop is not None:
            properties[str(name)] = prop
    return {"type": "object", "properties": properties}
