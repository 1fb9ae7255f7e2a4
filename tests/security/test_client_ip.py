"""carbon_platform.security.client_ip: the address lockouts and rate limits count by. Behind N proxies of
ours it is the Nth X-Forwarded-For entry from the right; what the client wrote further left is ignored."""

import pytest
from django.test import RequestFactory

from carbon_platform.security import axes_client_ip, client_ip

PROXY = "10.0.0.2"


def request(forwarded=None, remote=PROXY):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize(
    "proxies,forwarded,expected",
    [
        (0, "198.51.100.7", PROXY),  # no proxy of ours: the header is the client's own words
        (1, None, PROXY),  # did not come through the proxy
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # a spoofed entry to the left is ignored
        (1, " 6.6.6.6 ,198.51.100.7 ", "198.51.100.7"),
        (2, "198.51.100.7, 10.0.0.1", "198.51.100.7"),  # load balancer, then the TLS proxy
        (2, "10.0.0.1", PROXY),  # fewer entries than proxies: not through all of them
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "not-an-address", PROXY),
        (1, "198.51.100.7, ", "198.51.100.7"),
    ],
)
def test_the_client_address(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request(forwarded)) == expected


def test_axes_gets_none_rather_than_a_placeholder_when_no_address_is_known(settings):
    """django-axes stores the address in an IP address column (inet on PostgreSQL): "unknown" would fail
    every login that names no address (force_login in tests, for one)."""
    bare = RequestFactory().get("/")
    del bare.META["REMOTE_ADDR"]
    assert client_ip(bare) == "unknown"  # still a key for the rate limits
    assert axes_client_ip(bare) is None
    assert axes_client_ip(request("198.51.100.7")) == PROXY
