"""`python -m tap_zoho_bulk` runs the tap."""

from tap_zoho_bulk.tap import TapZohoBulk

TapZohoBulk.cli()
