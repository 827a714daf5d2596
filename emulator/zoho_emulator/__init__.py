"""A local, faithful Zoho emulator (Accounts OAuth + CRM, Bigin and Creator bulk read and metadata).

Zoho cannot be reached from tests, so the tap is exercised against this HTTP server,
which is deliberately as strict as Zoho's documented behaviour.
"""

from zoho_emulator.dataset import Dataset
from zoho_emulator.options import EmulatorOptions
from zoho_emulator.server import RequestLog, ZohoEmulator

__all__ = ["Dataset", "EmulatorOptions", "RequestLog", "ZohoEmulator"]
