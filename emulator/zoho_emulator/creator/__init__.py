"""Zoho Creator: bulk read, criteria strings, metadata, and the workspace's applications and data."""
