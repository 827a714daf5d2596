"""Module and field definitions, and their rendering as Zoho metadata dicts.

Definitions are compact specs; ``field_metadata``/``module_metadata`` expand them into
the dict shapes of ``/settings/fields`` and ``/settings/modules``
(https://www.zoho.com/crm/developer/docs/api/v8/field-meta.html) so the served metadata and the
generated records can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]

# data_type -> json_type as the fields API reports it.
JSON_TYPES: dict[str, str] = {
    "text": "string",
    "textarea": "string",
    "email": "string",
    "phone": "string",
    "website": "string",
    "picklist": "string",
    "autonumber": "string",
    "date": "string",
    "datetime": "string",
    "multiselectpicklist": "jsonarray",
    "integer": "integer",
    "bigint": "string",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "boolean": "boolean",
    "lookup": "jsonobject",
    "ownerlookup": "jsonobject",
    "fileupload": "jsonarray",
    "multiselectlookup": "jsonarray",
}
FORMULA_JSON_TYPES = {"double": "double", "text": "string", "integer": "integer"}
DEFAULT_LENGTHS = {"text": 255, "textarea": 32000, "email": 100, "phone": 30, "website": 255}
DECIMAL_TYPES = {"double": 2, "currency": 2, "percent": 2}

# Field types the bulk read API refuses in `fields`
# (https://www.zoho.com/crm/developer/docs/api/bulk-read/limitations.html).
BULK_UNSUPPORTED_TYPES = frozenset({"fileupload", "multiselectlookup"})


@dataclass(frozen=True)
class FieldSpec:
    """A field definition; ``hint`` steers the value generator towards realistic text."""

    api_name: str
    data_type: str
    label: str | None = None
    mandatory: bool = False
    read_only: bool = False
    custom: bool = False
    options: tuple[str, ...] = ()
    lookup: str | None = None  # target module api_name (lookup / multiselectlookup)
    formula_type: str | None = None  # return_type of a formula field
    expression: str = ""
    compute: Callable[[Record], Any] | None = None
    prefix: str = ""  # autonumber prefix
    length: int | None = None
    long_text: bool = False  # some records get >140,000 characters
    linking: str = ""  # linking module of a multiselectlookup
    hint: str = ""

    @property
    def label_text(self) -> str:
        """Display label (defaults to the API name with spaces)."""
        return self.label or self.api_name.replace("_", " ")

    @property
    def bulk_readable(self) -> bool:
        """Whether bulk read may export this field."""
        return self.data_type not in BULK_UNSUPPORTED_TYPES


@dataclass(frozen=True)
class ModuleSpec:
    """A module definition (fields in metadata order)."""

    api_name: str
    singular: str
    plural: str
    fields: tuple[FieldSpec, ...]
    module_name: str | None = None
    generated_type: str = "default"
    api_supported: bool = True
    scope_name: str | None = None  # name used in ZohoX.modules.{name}.READ scopes
    creatable: bool = True
    depends_on: tuple[str, ...] = field(default=())

    @property
    def scope_names(self) -> tuple[str, ...]:
        """Names accepted in module scopes."""
        default = "custom" if self.generated_type == "custom" else None
        names = [self.scope_name, default, self.api_name.lower().replace("_", "")]
        return tuple(n for n in names if n)


def module_metadata(spec: ModuleSpec, module_id: str) -> dict[str, Any]:
    """The ``/settings/modules`` entry of a module."""
    return {
        "api_name": spec.api_name,
        "module_name": spec.module_name or spec.api_name,
        "singular_label": spec.singular,
        "plural_label": spec.plural,
        "id": module_id,
        "api_supported": spec.api_supported,
        "generated_type": spec.generated_type,
        "visible": True,
        "viewable": True,
        "creatable": spec.creatable,
        "editable": spec.creatable,
        "deletable": spec.creatable,
        "status": "visible",
        "presence_sub_menu": True,
    }


def field_metadata(
    spec: FieldSpec, field_id: str, module_ids: dict[str, str], option_ids: list[str]
) -> dict[str, Any]:
    """The ``/settings/fields`` entry of a field."""
    data_type = spec.data_type
    json_type = (
        FORMULA_JSON_TYPES.get(spec.formula_type or "text", "string")
        if data_type == "formula"
        else JSON_TYPES[data_type]
    )
    meta: dict[str, Any] = {
        "api_name": spec.api_name,
        "field_label": spec.label_text,
        "display_label": spec.label_text,
        "data_type": data_type,
        "json_type": json_type,
        "length": spec.length or DEFAULT_LENGTHS.get(data_type, 255 if json_type == "string" else 16),
        "decimal_place": DECIMAL_TYPES.get(spec.formula_type or data_type),
        "system_mandatory": spec.mandatory,
        "read_only": spec.read_only,
        "custom_field": spec.custom,
        "visible": True,
        "id": field_id,
        "lookup": {},
        "pick_list_values": [],
        "formula": {},
        "auto_number": {},
    }
    if data_type in ("lookup", "multiselectlookup") and spec.lookup:
        target = {"api_name": spec.lookup, "id": module_ids.get(spec.lookup, "")}
        if data_type == "lookup":
            meta["lookup"] = {
                "display_label": spec.label_text,
                "api_name": spec.api_name,
                "module": target,
                "id": field_id,
            }
        else:
            meta["multiselectlookup"] = {
                "display_label": spec.label_text,
                "linking_module": {"api_name": spec.linking},
                "connected_module": target,
                "api_name": spec.api_name,
            }
    if data_type in ("picklist", "multiselectpicklist"):
        values = ["-None-", *spec.options] if data_type == "picklist" else list(spec.options)
        meta["pick_list_values"] = [
            {
                "display_value": value,
                "actual_value": value,
                "sequence_number": index,
                "reference_value": value,
                "type": "used",
                "id": option_ids[index % len(option_ids)] if option_ids else "",
            }
            for index, value in enumerate(values)
        ]
    if data_type == "formula":
        meta["formula"] = {"return_type": spec.formula_type, "expression": spec.expression}
    if data_type == "autonumber":
        meta["auto_number"] = {"prefix": spec.prefix, "suffix": "", "start_number": 1001}
    if data_type == "currency":
        meta["currency"] = {"precision": 2, "rounding_option": "normal"}
    return meta
