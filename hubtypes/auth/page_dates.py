"""The current user's workshop dates on every hub page, without a query per page.

JupyterHub calls each callable in ``c.JupyterHub.template_vars`` with the current user (or
None) whenever it renders a page, synchronously, on the event loop (``template_namespace``
in jupyterhub/handlers/base.py, the same in 5.5.1 and 6.1.1). So the callable must not
touch a database. It reads :class:`WorkshopDates`' cache instead, which the authenticator
fills from reads it makes anyway, in its worker threads: the account (or grant) read at
login and at every auth refresh (``refresh_user`` runs before a page of a user whose last
refresh is older than ``auth_refresh_age``, and after a hub restart before their first
page). What a page shows is thus at most ``auth_refresh_age`` old; the phase (dates,
warning, ended) is computed from those dates and the clock at each render.

A name not in the cache yet (``auth_refresh_age = 0``, or a page before any refresh) is read
once in a worker thread, and the page shows no dates until then; an entry older than
``max_age`` seconds (30: an instructor's change shows within about that, even where
``auth_refresh_age`` is longer, as on OAuth hubs) is shown once more while it is read again.

One mechanism for both authenticators: :class:`~hubtypes.auth.workshop.WorkshopAuthenticator`
caches accounts, :class:`~hubtypes.auth.access_mixin.WorkshopAccessMixin` caches grants.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from traitlets import Integer, TraitError, validate
from traitlets.config import LoggingConfigurable

from hubtypes.access.dates import Dates, notice
from hubtypes.clock import Clock, utcnow

TEMPLATE_VAR = "hubtypes_dates"


class WorkshopDates(LoggingConfigurable):
    """The dates banner on the hub's pages. Configure as ``c.WorkshopDates.<trait>``."""

    lock_warning_minutes = Integer(
        15,
        help="""Minutes before a participant's access ends from which the hub's pages warn
        them ("Your workshop access ends in 12 minutes: save your work and download what
        you want to keep now"), in place of the plain dates. Default 15; 0 turns the
        warning off (the dates are still shown).""",
    ).tag(config=True)

    @validate("lock_warning_minutes")
    def _check_warning(self, proposal: Any) -> int:
        if not 0 <= proposal["value"] <= 24 * 60:
            raise TraitError("c.WorkshopDates.lock_warning_minutes must be 0 (off) to 1440")
        return int(proposal["value"])

    def __init__(
        self,
        *,
        read: Callable[[str], Any],
        dates_of: Callable[[Any], Dates | None],
        clock: Clock = utcnow,
        max_age: float = 30.0,
        **kwargs: Any,
    ) -> None:
        """``read(name)``: the record (account, grant or None) from the database, blocking;
        ``dates_of(record)``: its dates (None: nothing to show)."""
        super().__init__(**kwargs)
        self._read, self._dates_of, self._clock = read, dates_of, clock
        self._max_age = max_age
        # name -> (when read, record); worker threads only assign whole values (atomic)
        self._records: dict[str, tuple[float, Any]] = {}
        self._reading: set[str] = set()

    # --- filled by the authenticator's own reads ---------------------------------------

    def remember(self, name: str, record: Any) -> None:
        self._records[name] = (time.monotonic(), record)

    def forget(self, name: str) -> None:
        self._records.pop(name, None)

    def cached(self, name: str) -> Any:
        """The cached record of ``name``; None when unknown (and then read in a thread)."""
        entry = self._records.get(name)
        if entry is None:
            self._read_later(name)
            return None
        read_at, record = entry
        if time.monotonic() - read_at > self._max_age:
            self._read_later(name)
        return record

    def _read_later(self, name: str) -> None:
        if name in self._reading:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on the hub's loop (a script): nothing to schedule
            return
        self._reading.add(name)

        def read() -> None:
            try:
                self.remember(name, self._read(name))
            except Exception as e:  # a page must render even when the database is down
                self.log.warning(f"hubtypes: cannot read {name}'s workshop dates: {e}")
            finally:
                self._reading.discard(name)

        loop.run_in_executor(None, read)

    # --- what the templates get ----------------------------------------------------------

    def page_dates(self, user: Any) -> dict[str, Any] | None:
        """The ``hubtypes_dates`` template variable: the user's dates, phase and warning."""
        name = getattr(user, "name", None)
        if not name or getattr(user, "kind", "user") != "user":
            return None
        record = self.cached(name)
        dates = self._dates_of(record) if record is not None else None
        if dates is None:
            return None
        return notice(dates, self._clock(), timedelta(minutes=self.lock_warning_minutes))

    def install(self, template_vars: Any) -> None:
        """Offer ``hubtypes_dates`` to the hub's templates (an operator's own value wins)."""
        if isinstance(template_vars, dict):
            template_vars.setdefault(TEMPLATE_VAR, self.page_dates)


__all__ = ["TEMPLATE_VAR", "WorkshopDates"]
