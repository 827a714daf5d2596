"""`python -m tap_zoho_bulk` runs the tap."""

from tap_zoho_bulk.tap import TapZohoBulk

if __name__ == "__main__":
    TapZohoBulk.cli()
