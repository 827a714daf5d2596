"""The singer-sdk standard tap tests, run against a module-scoped emulator."""

from __future__ import annotations

import atexit

from singer_sdk.testing import get_tap_test_class

from tap_zoho_bulk.tap import TapZohoBulk
from tests.support.emulators import start_emulator

_EMULATOR = start_emulator(records_per_module=30, seed=11, job_duration=0.02)
atexit.register(_EMULATOR.stop)

_CONFIG = _EMULATOR.tap_config(crm_modules=["Leads", "Deals", "Sales_Orders"], bigin_modules=["Accounts"],
                                poll_interval=0.01, poll_max_interval=0.1)
_STREAMS = ("crm_leads", "crm_deals", "crm_sales_orders", "bigin_accounts")

# The columnar record path (no stream maps: the usual case).
TestTapZohoBulk = get_tap_test_class(TapZohoBulk, config=_CONFIG)

# The SDK's record path: a stream map on every stream (one that changes nothing).
TestTapZohoBulkWithStreamMaps = get_tap_test_class(
    TapZohoBulk, config={**_CONFIG, "stream_maps": {name: {"__alias__": name} for name in _STREAMS}},
)
