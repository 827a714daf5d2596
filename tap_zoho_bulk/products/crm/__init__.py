"""Zoho CRM and Zoho Bigin, one product implementation with per-version and per-family tables."""

from tap_zoho_bulk.products.crm.product import CrmProduct
from tap_zoho_bulk.products.crm.shapes import BIGIN, CRM, FAMILIES, Family

__all__ = ["BIGIN", "CRM", "FAMILIES", "CrmProduct", "Family"]
