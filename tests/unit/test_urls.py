"""Joining Zoho's download paths and building Creator URLs, with and without a proxy path prefix."""

import pytest
import requests

from tap_zoho_bulk.client import ZohoClient
from tap_zoho_bulk.errors import ApiError
from tap_zoho_bulk.products.creator import CreatorProduct

REPORT = "acme/sales-benin/Tous_les_Offres"


def client(*bases):
    c = ZohoClient(auth=None, session=requests.Session())  # type: ignore[arg-type]
    for base in bases:
        c.trust(base)
    return c


@pytest.mark.parametrize(("base", "path", "url"), [
    ("https://www.zohoapis.eu", "/crm/bulk/v8/read/1/result", "https://www.zohoapis.eu/crm/bulk/v8/read/1/result"),
    ("https://www.zohoapis.eu/", "crm/bulk/v8/read/1/result", "https://www.zohoapis.eu/crm/bulk/v8/read/1/result"),
    # a proxy in front of Zoho: Zoho's paths start at its API root, the prefix stays in front
    ("https://proxy.example/zoho", "/crm/bulk/v2/read/1/result", "https://proxy.example/zoho/crm/bulk/v2/read/1/result"),
    # … unless the proxy rewrote the path already
    ("https://proxy.example/zoho", "/zoho/crm/bulk/v2/read/1/result", "https://proxy.example/zoho/crm/bulk/v2/read/1/result"),
    ("https://creator.zoho.eu", "/api/bulk/v2.1/o/a/report/r/read/2/result/", "https://creator.zoho.eu/api/bulk/v2.1/o/a/report/r/read/2/result/"),
    ("https://www.zohoapis.eu", "https://www.zohoapis.eu/crm/bulk/v8/read/1/result", "https://www.zohoapis.eu/crm/bulk/v8/read/1/result"),
])
def test_download_paths_join_the_base_url(base, path, url):
    assert client(base).absolute(base, path) == url


def test_a_download_url_on_another_host_is_refused():
    with pytest.raises(ApiError, match="refusing to send the access token"):
        client("https://www.zohoapis.eu").absolute("https://www.zohoapis.eu", "https://evil.example/x.zip")


@pytest.mark.parametrize(("creator_url", "bulk", "meta"), [
    ("https://creator.zoho.eu", "https://creator.zoho.eu/api/bulk/v2.1/acme/sales-benin/report/Tous_les_Offres/read",
     "https://creator.zoho.eu/api/v2/applications"),
    ("https://www.zohoapis.eu", "https://www.zohoapis.eu/creator/v2.1/bulk/acme/sales-benin/report/Tous_les_Offres/read",
     "https://www.zohoapis.eu/creator/v2.1/meta/applications"),
    ("https://proxy.example/zoho", "https://proxy.example/zoho/api/bulk/v2.1/acme/sales-benin/report/Tous_les_Offres/read",
     "https://proxy.example/zoho/api/v2/applications"),
    ("https://proxy.example/zoho/creator/", "https://proxy.example/zoho/creator/v2.1/bulk/acme/sales-benin/report/Tous_les_Offres/read",
     "https://proxy.example/zoho/creator/v2.1/meta/applications"),
])
def test_creator_url_families_and_prefixes(creator_url, bulk, meta):
    product = CreatorProduct("v2.1", client=None, reports=[REPORT], stream_options={}, base_url=creator_url)
    assert product.urls.bulk(REPORT) == bulk
    assert product.urls.meta("applications") == meta
