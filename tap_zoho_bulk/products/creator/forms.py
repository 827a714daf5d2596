"""Which form feeds a Creator report, and what a report column is.

Zoho has no API that maps a report to its form, and a report's CSV header is only known once it
is exported; both are derived here from the metadata, without guessing between candidates.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from tap_zoho_bulk.products.creator.field_types import (
    SYSTEM_COLUMNS,
    SYSTEM_DISPLAY_NAMES,
    SYSTEM_FIELDS,
    creator_property,
)
from tap_zoho_bulk.products.creator.metadata import CreatorMetadata
from tap_zoho_bulk.schema import STRING

LOGGER = logging.getLogger("tap-zoho-bulk")


def default_report_names(form: str) -> set[str]:
    """The link names Creator gives the report it creates with a form (`All_Orders` for `Order`)."""
    return {f"All_{form}s", f"All_{form}", f"{form}_Report"}


def derive_form(meta: CreatorMetadata, owner: str, app: str, report: str) -> str | None:
    """The form behind a report, in this order, never by a resemblance of names:

    1. the only form in the menu section that lists the report (Get Sections);
    2. the form whose default report this is, by exact link name (`All_Orders` → `Order`);
    3. the application's only form.

    Otherwise None: the report's columns are typed from the form fields when the first export
    shows them (`column_schemas`), and `stream_options.<stream>.form` makes it exact.
    """
    forms = list(meta.forms(owner, app))
    in_section = [f for f in meta.section_forms(owner, app, report) if f in forms]
    if len(in_section) == 1:
        return in_section[0]
    matches = [f for f in in_section or forms if report in default_report_names(f)]
    if len(matches) == 1:
        return matches[0]
    if len(forms) == 1:
        return forms[0]
    LOGGER.warning(
        "creator %s/%s/%s: no metadata tells which form feeds this report; its columns are "
        "typed from the form fields when the first export shows them (set stream_options."
        "<stream>.form to type them at discovery)", owner, app, report,
    )
    return None


def column_schemas(
    meta: CreatorMetadata, owner: str, app: str, columns: Sequence[str]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Record key and schema for report columns the catalog lacks, from the form fields.

    A report shows one form's fields, so the form sharing the most columns is asked first. A
    column is a field's link name, or its display name (as Creator's own exports label
    columns; the record key is then the link name); `Client.Nom`, a lookup's display column,
    is field `Nom` of form `Client` when that form exists; anything else is a string.
    """
    forms = {form: meta.form_fields(owner, app, form) for form in meta.forms(owner, app)}
    by_display = {
        form: {str(f["display_name"]): f for f in fields.values() if f.get("display_name")}
        for form, fields in forms.items()
    }
    wanted = set(columns)

    def overlap(form: str) -> int:
        return len(wanted & (forms[form].keys() | by_display[form].keys()))

    ranked = sorted(forms, key=overlap, reverse=True)
    adopted: dict[str, tuple[str, dict[str, Any]]] = {}
    for column in columns:
        system = SYSTEM_DISPLAY_NAMES.get(column, column)
        if system in SYSTEM_FIELDS:
            adopted[column] = (system, dict(SYSTEM_COLUMNS.get(system, STRING)))
            continue
        head, dot, tail = column.partition(".")
        field = forms.get(head, {}).get(tail) if dot else None
        field = field or next((forms[f][column] for f in ranked if column in forms[f]), None)
        if field is None:
            field = next((by_display[f][column] for f in ranked if column in by_display[f]), None)
            name = str(field["link_name"]) if field else column
        else:
            name = column
        adopted[column] = (name, creator_property(field) if field else dict(STRING))
    return adopted
