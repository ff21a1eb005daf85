"""How the ``hubtypes`` command prints tables and credentials (both routes share it)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import TextIO

CREDENTIAL_HEADER = ["username", "code", "role", "workshop", "expires_at"]


def print_credentials(rows: Sequence[Sequence[str]], fmt: str, out: TextIO) -> None:
    """Rows of :data:`CREDENTIAL_HEADER` as CSV or a table, on ``out`` (codes: once, stdout)."""
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(CREDENTIAL_HEADER)
        writer.writerows(rows)
    else:
        print_table(CREDENTIAL_HEADER, rows, out)


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    for row in [header, *rows]:
        out.write(
            "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip() + "\n"
        )
