"""Zoho Creator: reports as streams, through Creator's bulk read API."""

from tap_zoho_bulk.products.creator.product import CreatorProduct, stream_name, stream_names

__all__ = ["CreatorProduct", "stream_name", "stream_names"]
