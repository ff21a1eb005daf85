"""Sweeps that skip listing the hub's users when nothing can be due yet.

The decision is pure (:mod:`hubtypes.lifecycle.cull_schedule`, which says why it is
safe); this keeps what the last clean listing left running, asks hubtypes' database for
today's hub types of those users, and logs and counts the sweeps it skips.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from hubtypes.clock import Clock
from hubtypes.lifecycle.cull_schedule import (
    Listing,
    after_sweep,
    next_listing_by,
    shortest_time,
    why_list,
)
from hubtypes.lifecycle.culling import CullConfig, CullUser
from hubtypes.services.culler.metrics import CullerMetrics
from hubtypes.services.culler.report import SweepReport
from hubtypes.storage.hub_types import Resolution

log = logging.getLogger("hubtypes.culler")

Resolve = Callable[[list[str], datetime], Awaitable[Mapping[str, Resolution]]]


class QuietSweeps:
    def __init__(
        self,
        config: CullConfig,
        kinds: set[str],
        resolve: Resolve,
        metrics: CullerMetrics,
        clock: Clock,
        *,
        enabled: bool = True,
    ) -> None:
        self.config = config
        self.kinds = kinds
        self.resolve = resolve
        self.metrics = metrics
        self.clock = clock
        self.enabled = enabled
        self.listing: Listing | None = None  # what the last clean sweep left running
        self.skipped = 0  # sweeps since that listing that did not need one

    def longest_gap(self) -> float:
        """The most seconds between two listings while every sweep succeeds."""
        return shortest_time(self.config, self.kinds)

    async def nothing_due(self) -> bool:
        """Whether this sweep may skip the listing (counted and logged when it does)."""
        if not self.enabled or self.listing is None:
            return False
        now = self.clock()
        if now >= next_listing_by(self.listing, self.config, self.kinds):
            return False  # a listing is due anyway: no need to read the database first
        try:
            resolutions = await self.resolve([u.name for u in self.listing.users], now)
        except Exception as e:  # hubtypes' database: the sweep finds out and says so
            log.info(f"Could not read hub types ({e}); listing the hub's users")
            return False
        why = why_list(self.config, self.listing, resolutions, self.kinds, now)
        if why is not None:
            log.debug(f"Listing the hub's users: {why}")
            return False
        self.skipped += 1
        self.metrics.sweeps.labels("skipped").inc()
        by = next_listing_by(self.listing, self.config, self.kinds)
        log.info(
            f"Sweep skipped: nothing can be due yet among the {len(self.listing.users)} users "
            f"listed at {self.listing.at:%H:%M:%S} UTC; the next listing is by {by:%H:%M:%S}"
        )
        return True

    def remember(
        self, users: list[CullUser], report: SweepReport, at: datetime, *, dry_run: bool
    ) -> None:
        """Keep what a sweep that listed at ``at`` left running, if it ended clean (no
        errors, every action done or done by someone else first); else list next time."""
        if report.errors or dry_run or any(not a.done and not a.note for a in report.actions):
            self.forget()
            return
        culled: dict[str, set[str]] = {}
        for a in report.actions:
            if a.action != "delete-user":
                culled.setdefault(a.user, set()).add(a.server)
        deleted = {a.user for a in report.actions if a.action == "delete-user"}
        self.listing = after_sweep(users, culled, deleted, at, self.clock())
        self.skipped = 0

    def forget(self) -> None:
        self.listing = None
