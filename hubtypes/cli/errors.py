"""The command line's errors: one message on stderr and exit status 2."""

from __future__ import annotations

from hubtypes.errors import HubTypesError


class CliError(Exception):
    """A problem the command reports as it is (no field)."""


def describe(error: Exception) -> str:
    """The line the command prints: ``--field: message`` when the error names an option."""
    if isinstance(error, HubTypesError) and error.field:
        return f"--{error.field.replace('_', '-')}: {error.message}"
    return str(error)
