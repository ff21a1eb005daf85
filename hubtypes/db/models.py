"""SQLAlchemy 2 models of hubtypes' own database.

The hub's database is private to JupyterHub; everything hubtypes knows
(workshops, accounts with hashed codes, login throttling, the audit log, the
workshop service's resets and lock marks) lives here. Times are stored as naive UTC
datetimes so SQLite and PostgreSQL compare them the same way;
:func:`hubtypes.clock.as_utc` turns them back into aware ones.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Role(str, enum.Enum):
    participant = "participant"
    instructor = "instructor"
    admin = "admin"


class Workshop(Base):
    __tablename__ = "hubtypes_workshops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    starts_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    # lock time: participants cannot log in or keep sessions after it
    ends_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    # purge time: accounts and data are removed entirely after it
    delete_after: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    # open | resetting | purged (hubtypes.records.WORKSHOP_*): a workshop being reset or
    # purged accepts no accounts and lets none log in; only an admin's reopen opens it
    state: Mapped[str] = mapped_column(
        String(16), nullable=False, default="open", server_default="open"
    )

    accounts: Mapped[list[Account]] = relationship(back_populates="workshop")


class Account(Base):
    __tablename__ = "hubtypes_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    # admins may exist without a workshop; participants and instructors have one
    workshop_id: Mapped[int | None] = mapped_column(
        ForeignKey("hubtypes_workshops.id", ondelete="CASCADE"), nullable=True, index=True
    )
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="hubtypes_role", native_enum=False, length=16), nullable=False
    )
    code_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    # an account's own lock time, overriding the workshop's end if set
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    workshop: Mapped[Workshop | None] = relationship(back_populates="accounts")


class ThrottleEntry(Base):
    """Failed-login counter for one key ('user:NAME' or 'ip:ADDR') in a fixed window."""

    __tablename__ = "hubtypes_login_throttle"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class AuditEvent(Base):
    __tablename__ = "hubtypes_audit"
    __table_args__ = (Index("ix_hubtypes_audit_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    actor: Mapped[str] = mapped_column(String(255), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    target: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    details: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)


class Reset(Base):
    """One workshop reset: its plan, where it got to, and how it ended.

    ``state`` is ``running`` until every planned user is gone, then ``done``
    (or ``failed``, with ``error``); a service that restarts resumes the
    ``running`` ones from their stored plan. At most one reset of a workshop runs:
    the database holds that (a unique index over the running rows), not a process.
    """

    __tablename__ = "hubtypes_resets"
    # Also ``ux_hubtypes_resets_one_running``: unique over ``workshop`` WHERE state is
    # 'running' (migration 0004). It is not declared here because its dialect options
    # would make importing the models load SQLAlchemy's SQLite and PostgreSQL dialects,
    # in the hub process too (tests/test_import_cost.py); schemas are made by migrations.
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


class UsageDay(Base):
    """Daily usage per hub type and workshop: kept when users are deleted (the culler)."""

    __tablename__ = "hubtypes_usage_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    hub_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    workshop: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    active_users: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    server_seconds: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)


class UsageSeen(Base):
    """Who was already counted on a day, by a key that is not their name; pruned daily."""

    __tablename__ = "hubtypes_usage_seen"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    person: Mapped[str] = mapped_column(String(32), primary_key=True)


class Grant(Base):
    """An identity another authenticator logs in (GitHub, CILogon...) granted one workshop.

    ``standing`` is what the base authenticator said at the identity's last login:
    ``community`` (it allows them on its own), ``guest`` (only the grant does), or empty
    (not seen yet). ``role``: ``participant`` or ``instructor`` (who manages the workshop
    in the service, as an instructor account does). One workshop per identity.
    """

    __tablename__ = "hubtypes_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identity: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("hubtypes_workshops.id", ondelete="CASCADE"), nullable=False, index=True
    )
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="participant")
    standing: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    locked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(255), nullable=False, default="")


__all__ = [
    "Base",
    "Grant",
    "Role",
    "Workshop",
    "Account",
    "ThrottleEntry",
    "AuditEvent",
    "Reset",
    "AccountLock",
    "UsageDay",
    "UsageSeen",
]
