"""How the status page writes a policy's times."""

from __future__ import annotations

import pytest

from hubtypes.services.culler.web import duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (20, "20 s"),
        (119, "119 s"),
        (120, "2 min"),
        (600, "10 min"),
        (3599, "59 min 59 s"),
        (3600, "1 h"),
        (7199, "1 h 59 min"),
        (7200, "2 h"),
        (5400 + 7200, "3 h 30 min"),
        (21600, "6 h"),  # BinderHub's max age
        (86400, "24 h"),
        (2 * 86400, "2 d"),
        (3 * 86400 + 5 * 3600, "3 d 5 h"),
        (20.4, "20 s"),
    ],
)
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text
