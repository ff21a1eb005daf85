"""The errors every part of hubtypes raises at its edge, each with the HTTP status it means.

One vocabulary for the command line, the workshop service and the database queries:

- :class:`InputError` (400): what someone typed is wrong; names the field and the fix;
- :class:`Forbidden` (403): the caller's token may not do this;
- :class:`NotFound` (404): the workshop, account or reset named does not exist;
- :class:`Conflict` (409): it exists, but its current state does not allow this.

They are raised *before* anything is written (or inside the transaction that then
rolls back), so a refused request leaves nothing half-done. The service maps them to
responses in one place (``services/workshop/web/base.py``), the CLI to
``hubtypes: error: --field: message`` and exit status 2 (``cli/__init__.py``).
"""

from __future__ import annotations


class HubTypesError(Exception):
    """Base of the errors a person sees: a message, optionally the field it concerns."""

    status = 500

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


class InputError(HubTypesError, ValueError):
    """Bad input: ``field`` is what to change (a form field, JSON key or CLI option)."""

    status = 400

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)


class Forbidden(HubTypesError):
    """The request's token does not carry the scope this needs."""

    status = 403

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(field, message)


class NotFound(HubTypesError):
    """The thing named by ``field`` does not exist."""

    status = 404


class Conflict(HubTypesError):
    """The thing exists but its state refuses this (e.g. a purged workshop, a taken name)."""

    status = 409


__all__ = ["Conflict", "Forbidden", "HubTypesError", "InputError", "NotFound"]
