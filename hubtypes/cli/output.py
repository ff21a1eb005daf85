"""How the ``hubtypes`` command prints tables and credentials (both routes share it)."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from hubtypes.records import CREDENTIAL_COLUMNS


def print_credentials(
    credentials: Sequence[Mapping[str, Any]], fmt: str, out: TextIO, extra: Sequence[str] = ()
) -> None:
    """Credentials (keyed by :data:`CREDENTIAL_COLUMNS`, then ``extra``: a roster's
    ``name`` and ``email``, whom each account is for) as CSV or a table on ``out``.

    Codes go to stdout only, once; nothing here logs them.
    """
    columns = [*CREDENTIAL_COLUMNS, *extra]
    rows = [["" if c.get(k) is None else str(c[k]) for k in columns] for c in credentials]
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        print_table(columns, rows, out)


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    for row in [header, *rows]:
        out.write(
            "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip() + "\n"
        )
