"""What a printed access card carries beyond the code: the hub's login URL with the
username filled in, and that URL as a QR code (SVG, made by segno, pure Python).

JupyterHub's login page fills the username field from ``?username=`` (5.5.1 and 6.1.1:
jupyterhub/handlers/login.py ``LoginHandler.get`` passes ``self.get_argument('username')``
to the template as ``username``; hubtypes' login.html puts it in the field), so a
participant who scans the card only types the code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode, urlsplit


def login_url(hub_url: str, hub_prefix: str, username: str) -> str:
    """``https://hub.example.org/hub/login?username=py-001`` for the hub at ``hub_url``."""
    parts = urlsplit(hub_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return f"{origin}{hub_prefix.rstrip('/')}/login?{urlencode({'username': username})}"


def qr_svg(data: str) -> str:
    """``data`` as an inline SVG QR code (error correction M: a card survives a fold)."""
    import segno  # imported here: only the pages that print cards need it

    return str(segno.make(data, error="m").svg_inline(scale=3, border=2))


def with_qr(rows: Iterable[dict[str, Any]], hub_url: str, hub_prefix: str) -> list[dict[str, Any]]:
    """Credential rows with the card's ``login_url`` and ``qr`` added."""
    out = []
    for row in rows:
        url = login_url(hub_url, hub_prefix, str(row["username"]))
        out.append({**row, "login_url": url, "qr": qr_svg(url)})
    return out
