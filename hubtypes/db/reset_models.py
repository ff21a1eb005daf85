"""Tables of the workshop service: resets (persisted for resumability) and lock marks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hubtypes.db.models import Base


class Reset(Base):
    """One workshop reset: its plan, where it got to, and how it ended.

    ``state`` is ``running`` until every planned user is gone, then ``done``
    (or ``failed``, with ``error``); a service that restarts resumes the
    ``running`` ones from their stored plan.
    """

    __tablename__ = "hubtypes_resets"
    __table_args__ = (Index("ix_hubtypes_resets_workshop", "workshop"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="running")
    actor: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    plan: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    # {"stopped": n, "deleted": n, "total": n}, updated as the reset goes
    progress: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")


class AccountLock(Base):
    """An account the service has locked (servers stopped, tokens deleted)."""

    __tablename__ = "hubtypes_account_locks"

    username: Mapped[str] = mapped_column(String(255), primary_key=True)
    workshop: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    locked_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


__all__ = ["Reset", "AccountLock"]
