"""tap-zoho-bulk: Zoho CRM, Bigin and Creator exported through the bulk read API."""
