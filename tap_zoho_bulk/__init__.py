"""tap-zoho-bulk: a Singer tap for Zoho CRM, Bigin and Creator through Zoho's bulk read APIs."""

from importlib.metadata import version

__version__ = version("tap-zoho-bulk")  # pyproject.toml is the one version source
