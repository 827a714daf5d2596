"""The Zoho products: each one's API shapes, metadata and typing, behind `base.BulkProduct`."""
