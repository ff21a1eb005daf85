"""What one sweep did and found: the status page's JSON and the sweep's log line."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any


@dataclass
class Action:
    user: str
    server: str
    kind: str
    action: str  # stop | remove | delete-user
    reason: str
    idle_for: float | None = None
    age: float | None = None
    done: bool = False  # False in a dry run, when it failed, or when someone was faster
    note: str = ""  # e.g. "already gone": stopped or deleted by someone else meanwhile

    @property
    def label(self) -> str:
        return f"{self.user}/{self.server}" if self.server else self.user

    def times(self) -> str:
        """ ", idle 0:42:00, age 2:00:00" for the log (what is known)."""
        parts = []
        if self.idle_for is not None:
            parts.append(f"idle {_td(self.idle_for)}")
        if self.age is not None:
            parts.append(f"age {_td(self.age)}")
        return (", " + ", ".join(parts)) if parts else ""


@dataclass
class Due:
    user: str
    server: str
    kind: str
    reason: str  # active | busy | unanswered
    due_in: float | None


@dataclass
class SweepReport:
    started: datetime
    dry_run: bool
    duration: float = 0.0
    users_seen: int = 0
    running: dict[str, int] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    due: list[Due] = field(default_factory=list)
    spared_busy: int = 0
    errors: list[str] = field(default_factory=list)  # "user: what went wrong"
    hub_requests: int = 0

    def as_dict(self, due_limit: int = 50) -> dict[str, Any]:
        data = asdict(self)
        data["started"] = self.started.isoformat()
        due = sorted(self.due, key=lambda d: (d.due_in is None, d.due_in or 0))
        # when, not only how long after this sweep: later sweeps may skip the listing, and a
        # reader of the status then needs the time itself
        data["due"] = [
            {**asdict(d), "due_at": _at(self.started, d.due_in)} for d in due[:due_limit]
        ]
        counts: Counter[str] = Counter(f"{a.kind}:{a.action}:{a.reason}" for a in self.actions)
        data["counts"] = dict(sorted(counts.items()))
        return data


def _at(started: datetime, due_in: float | None) -> str | None:
    return None if due_in is None else (started + timedelta(seconds=due_in)).isoformat()


def _td(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"
