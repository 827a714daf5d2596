"""The singer-sdk standard tap tests, run against a module-scoped emulator."""

from __future__ import annotations

import atexit

from singer_sdk.testing import get_tap_test_class

from tap_zoho_bulk.emulator import Dataset, EmulatorOptions, ZohoEmulator
from tap_zoho_bulk.tap import TapZohoBulk

_EMULATOR = ZohoEmulator(
    options=EmulatorOptions(job_duration=0.02, page_size=40, download_limit=100_000),
    dataset=Dataset.generate(seed=11, records_per_module=30),
).start()
atexit.register(_EMULATOR.stop)

TestTapZohoBulk = get_tap_test_class(
    TapZohoBulk,
    config=_EMULATOR.tap_config(crm_modules=["Leads", "Deals", "Sales_Orders"], bigin_modules=["Accounts"],
                                poll_interval=0.01, poll_max_interval=0.1),
)
