"""Zoho CRM and Zoho Bigin (one API family): bulk read, criteria, metadata and the organisations' modules."""
