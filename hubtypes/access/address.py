"""The client address a login is throttled by, as the hub's own proxies recorded it.

JupyterHub runs tornado with ``xheaders=True`` (jupyterhub/app.py), so tornado's
``request.remote_ip`` is taken from ``X-Real-Ip`` when present, else the right-most
``X-Forwarded-For`` entry (tornado/httpserver.py ``_HTTPRequestContext._apply_xheaders``).
configurable-http-proxy passes a client's ``X-Real-Ip`` through untouched and *appends*
the address it saw to ``X-Forwarded-For`` (http-proxy's ``XHeaders`` pass with
``xfwd``, on unless ``--no-x-forward``). So ``remote_ip`` is whatever a client claims.

What a client cannot forge is the entries its own proxies appended: each trusted hop in
front of the hub adds one entry on the right. With ``trusted_hops`` such proxies, the
client is the entry the farthest of them wrote: the ``trusted_hops``-th from the right.
Everything to its left (and ``X-Real-Ip``) was sent by the client and is ignored.
"""

from __future__ import annotations

import ipaddress


def normalize_address(text: str) -> str:
    """An IP address in one canonical spelling (IPv4-mapped IPv6 as IPv4); other text as is.

    Node reports IPv4 clients of a dual-stack socket as ``::ffff:1.2.3.4``; both spellings
    must count against one key.
    """
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def client_address(forwarded_for: str | None, peer: str, trusted_hops: int) -> str:
    """The client's address: the entry the farthest trusted proxy appended.

    ``forwarded_for`` is ``X-Forwarded-For`` as received (several headers joined with
    ``,``), ``peer`` the address that opened the connection to the hub, ``trusted_hops``
    how many proxies in front of the hub append to ``X-Forwarded-For`` (1: only
    configurable-http-proxy; 0: none, the peer is the client). A header with fewer
    entries than ``trusted_hops`` came through fewer proxies; its left-most entry is
    then the farthest one recorded.
    """
    if trusted_hops <= 0:
        return normalize_address(peer)
    entries = [e.strip() for e in (forwarded_for or "").split(",") if e.strip()]
    if not entries:
        return normalize_address(peer)
    return normalize_address(entries[max(len(entries) - trusted_hops, 0)])
