"""The client address logins are throttled by, as a table.

What the entries mean comes from the real sources: tornado/httpserver.py
``_HTTPRequestContext._apply_xheaders`` (``X-Real-Ip`` wins over ``X-Forwarded-For``,
which JupyterHub enables with ``xheaders=True`` in jupyterhub/app.py) and
configurable-http-proxy 5.3's http-proxy-3 ``XHeaders`` pass, which appends
``,<remoteAddress>`` to a client's ``X-Forwarded-For`` and leaves ``X-Real-Ip`` alone.
"""

import pytest

from hubtypes.access.address import client_address, normalize_address


@pytest.mark.parametrize(
    "forwarded, peer, hops, expected",
    [
        # configurable-http-proxy alone: its own (right-most) entry, whatever came before
        ("203.0.113.7", "127.0.0.1", 1, "203.0.113.7"),
        ("10.9.9.9,203.0.113.7", "127.0.0.1", 1, "203.0.113.7"),
        ("1.1.1.1, 2.2.2.2,203.0.113.7", "127.0.0.1", 1, "203.0.113.7"),
        # an ingress in front of the proxy: the ingress's entry (second from the right)
        ("10.9.9.9,198.51.100.4,10.0.0.5", "10.0.0.6", 2, "198.51.100.4"),
        # fewer entries than hops: the left-most the proxies recorded
        ("10.0.0.5", "10.0.0.6", 2, "10.0.0.5"),
        # no proxy: the connection's own address, headers ignored
        ("6.6.6.6", "192.0.2.1", 0, "192.0.2.1"),
        # no header at all (a request that did not come through the proxy)
        (None, "192.0.2.1", 1, "192.0.2.1"),
        ("", "192.0.2.1", 1, "192.0.2.1"),
        (" , ", "192.0.2.1", 1, "192.0.2.1"),
        # node's dual-stack spelling of an IPv4 client is the same client
        ("::ffff:203.0.113.7", "127.0.0.1", 1, "203.0.113.7"),
        ("2001:DB8:0:0::1", "::1", 1, "2001:db8::1"),
        ("[2001:db8::1]", "::1", 1, "2001:db8::1"),
    ],
)
def test_client_address(forwarded, peer, hops, expected):
    assert client_address(forwarded, peer, hops) == expected


def test_a_client_cannot_choose_its_address_by_adding_entries():
    real = "198.51.100.4"
    for claimed in ["10.0.0.1", "127.0.0.1", "1.2.3.4, 5.6.7.8", "garbage"]:
        # what the proxy forwards: the client's header, then the address it saw
        assert client_address(f"{claimed},{real}", "127.0.0.1", 1) == real


def test_normalize_keeps_text_that_is_no_address():
    assert normalize_address(" unknown ") == "unknown"
    assert normalize_address("127.000.0.1") == "127.000.0.1"  # not valid: kept, not parsed
