"""Per-product, per-API-version behaviour of the CRM-family bulk APIs.

The request and response shapes changed between API versions (module string vs
object, ``api_name`` vs ``field`` criteria leaves, page tokens from v7); keeping the
differences in one declarative table stops version checks leaking into handlers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class VersionRules:
    """What one bulk API version accepts and echoes."""

    name: str
    module_shape: str  # "string" | "object" | "either" (accepted in requests)
    echo_module_object: bool  # status `query.module` rendered as {"api_name","id"}
    field_leaves: bool  # criteria leaves may use {"field":{"api_name"}}
    restricted_dates: bool  # v2-era: date/datetime only equal/in/between families
    page_token: bool  # v7+: next_page_token / query.page_token
    echo_file_type: bool  # v5+: "file_type":"csv" in job details
    echo_field_ids: bool  # v7+: criteria echo as {"field":{"api_name","id"}}
    callback_envelope: bool  # callback body {"data":[…]} instead of flat job_id form


def _crm(name: str, number: float) -> VersionRules:
    return VersionRules(
        name=name,
        module_shape="string" if number < 2.1 else "object",
        echo_module_object=number >= 2.1,
        field_leaves=number >= 2.1,
        restricted_dates=number < 2.1,
        page_token=number >= 7,
        echo_file_type=number >= 5,
        echo_field_ids=number >= 7,
        callback_envelope=number >= 2.1,
    )


@dataclass(frozen=True)
class ProductSpec:
    """A CRM-family product: URL prefix, scope prefix, versions."""

    key: str  # dataset key: "crm" | "bigin"
    url_prefix: str  # "/crm" | "/bigin"
    scope_prefix: str  # "ZohoCRM" | "ZohoBigin"
    bulk_versions: dict[str, VersionRules]
    meta_versions: tuple[str, ...]
    count_versions: tuple[str, ...] = ()  # REST record count API (none: not offered)

    def version_regex(self, versions: tuple[str, ...] | list[str]) -> str:
        """Regex alternation of version names (dots escaped)."""
        return "(?P<ver>" + "|".join(re.escape(v) for v in versions) + ")"


CRM = ProductSpec(
    key="crm",
    url_prefix="/crm",
    scope_prefix="ZohoCRM",
    bulk_versions={
        v: _crm(v, n)
        for v, n in [
            ("v2", 2.0),
            ("v2.1", 2.1),
            ("v3", 3),
            ("v4", 4),
            ("v5", 5),
            ("v6", 6),
            ("v7", 7),
            ("v8", 8),
        ]
    },
    meta_versions=("v2", "v2.1", "v3", "v4", "v5", "v6", "v7", "v8"),
    # GET /crm/{version}/{module}/actions/count exists from v3 (Zoho's record count API).
    count_versions=("v3", "v4", "v5", "v6", "v7", "v8"),
)

BIGIN = ProductSpec(
    key="bigin",
    url_prefix="/bigin",
    scope_prefix="ZohoBigin",
    bulk_versions={
        "v1": VersionRules(
            name="v1",
            module_shape="string",
            echo_module_object=False,
            field_leaves=False,
            restricted_dates=True,
            page_token=False,
            echo_file_type=False,
            echo_field_ids=False,
            callback_envelope=False,
        ),
        # v2 docs still echo a string module and api_name leaves; what it accepts
        # beyond that is unconfirmed, so both request shapes are allowed.
        "v2": VersionRules(
            name="v2",
            module_shape="either",
            echo_module_object=False,
            field_leaves=True,
            restricted_dates=False,
            page_token=False,
            echo_file_type=False,
            echo_field_ids=False,
            callback_envelope=False,
        ),
    },
    meta_versions=("v1", "v2"),
    # Bigin's API documentation has no record count API, so its path is an unknown URL.
)

PRODUCTS: tuple[ProductSpec, ...] = (CRM, BIGIN)
