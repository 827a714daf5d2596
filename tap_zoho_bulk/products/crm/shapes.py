"""What distinguishes the CRM API versions, and Zoho CRM from Zoho Bigin, as tables.

Request shapes changed between versions (a module string or object, `api_name` or `field`
criteria leaves, page tokens from v7); Bigin documents the v2-era shape for both of its versions
(https://www.bigin.com/developer/docs/apis/v2/bulk-read/create-job.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ApiShape:
    """How one API version spells a bulk read request (each version's create-job page, e.g.
    https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/create-job.html)."""

    module_object: bool  # query.module as {"api_name": …} (CRM v2.1+) instead of a bare string
    field_leaves: bool  # criteria leaves as {"field": {"api_name": …}} instead of {"api_name": …}
    page_tokens: bool  # result.next_page_token continues past 200,000 records (v7+)
    between_window: bool  # window as one inclusive `between` leaf (v2-era date comparators)


_V2 = ApiShape(module_object=False, field_leaves=False, page_tokens=False, between_window=True)
_V21 = ApiShape(module_object=True, field_leaves=True, page_tokens=False, between_window=False)
_V7 = ApiShape(module_object=True, field_leaves=True, page_tokens=True, between_window=False)
# Bigin v2 documents the v2-era request shape (string module, api_name leaves); `between` is the
# one date comparator every version accepts.
_BIGIN_V2 = ApiShape(module_object=False, field_leaves=False, page_tokens=False, between_window=True)


@dataclass(frozen=True)
class Family:
    """What distinguishes Zoho CRM from Zoho Bigin."""

    name: str
    label: str
    shapes: Mapping[str, ApiShape]
    metadata_fallback: tuple[str, ...]  # metadata API versions to try after the configured one
    unsupported_modules: frozenset[str]
    counts: bool  # has the record count API (CRM; Bigin documents none)


_NOT_BULK_READABLE = frozenset({
    "Notes", "Attachments", "Emails", "CTI_Entry", "Email_Analytics", "Email_Template_Analytics",
    "Functions__s", "Email_Sentiment", "Locking_Information__s",
})
SKIPPED_GENERATED_TYPES = {"linking", "subform"}

CRM = Family(
    name="crm",
    label="Zoho CRM",
    shapes={"v2": _V2, "v2.1": _V21, "v3": _V21, "v4": _V21, "v5": _V21, "v6": _V21,
            "v7": _V7, "v8": _V7},
    metadata_fallback=(),
    unsupported_modules=_NOT_BULK_READABLE,
    counts=True,
)
BIGIN = Family(
    name="bigin",
    label="Zoho Bigin",
    shapes={"v1": _V2, "v2": _BIGIN_V2},
    metadata_fallback=("v2",),
    unsupported_modules=_NOT_BULK_READABLE,
    counts=False,
)
FAMILIES = {family.name: family for family in (CRM, BIGIN)}
