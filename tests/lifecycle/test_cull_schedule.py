"""When a sweep may skip listing the hub's users: tables, and under hypothesis the one
property that matters — a skipped listing never hides a server or user that was due."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubtypes.lifecycle.cull_schedule import Listing, after_sweep, shortest_time, why_list
from hubtypes.lifecycle.culling import (
    CullServer,
    CullUser,
    decide_server,
    decide_user,
    make_config,
    policy_for,
    possible_kinds,
)
from hubtypes.records import AccountView, WorkshopView
from hubtypes.storage.hub_types import HubType, ResolverConfig, resolve

T = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)  # when the last listing began
CONFIG = make_config()
COMMUNITY_KINDS = possible_kinds(HubType.community, "community")  # shortest: 30 min
BINDER_KINDS = possible_kinds(HubType.binder, "community")  # shortest: 10 min


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def res(kind: str, name: str = "u", ends: datetime | None = None):
    default = HubType.binder if kind == "binder" else HubType.community
    account = None
    if kind in ("participant", "instructor"):
        ws = WorkshopView("py", "Py", T - timedelta(days=1), ends or T + timedelta(days=1),
                          T + timedelta(days=9))  # fmt: skip
        account = AccountView(name, kind, ws)
    return resolve(ResolverConfig(default_type=default), name, account, T, check_access=False)


def srv(last_min: float, started_min: float = -600, name: str = "", **kw) -> CullServer:
    """A server last active at ``at(last_min)``, started at ``at(started_min)``."""
    return CullServer(name, kw.pop("ready", True), kw.pop("pending", None), at(started_min),
                      at(last_min), **kw)  # fmt: skip


def user(name: str, *servers: CullServer, last_min: float = -600) -> CullUser:
    return CullUser(name, False, (), at(-6000), at(last_min), servers)


def listing(*users: CullUser) -> Listing:
    return Listing(at=T, users=users)


def test_shortest_time_covers_every_kind_and_override():
    assert shortest_time(CONFIG, COMMUNITY_KINDS) == 1800  # participants' 30 min
    assert shortest_time(CONFIG, BINDER_KINDS) == 600  # binder's 10 min
    shorter = make_config(by_group={"short": {"idle_timeout": 120}})
    assert shortest_time(shorter, COMMUNITY_KINDS) == 120


# (the listing's user, their kind, minutes after the listing) -> reason to list, or None
TABLE = [
    (user("c", srv(-10)), "community", 5, None),  # idle 15 of 60 min: not due
    (user("c", srv(-55)), "community", 4, None),  # 59 min idle
    (user("c", srv(-55)), "community", 5, "server may be due"),  # 60 min: due
    (user("c", srv(0)), "community", 30, "started since"),  # anything new may be due by now
    (user("p", srv(-25)), "participant", 4, None),  # 29 of 30 min
    (user("p", srv(-25)), "participant", 5, "server may be due"),
    # pending at the listing: as of its start (it may be ready by now)
    (user("c", srv(-55, pending="spawn", ready=False)), "community", 4, None),
    (user("c", srv(-55, pending="spawn", ready=False)), "community", 5, "server may be due"),
    (user("c", srv(-1, started_min=-6000)), "community", 10, None),  # no max age
    (user("b", srv(-1, started_min=-359)), "binder", 0.5, None),  # 6 h max age, 1 min left
    (user("b", srv(-1, started_min=-359)), "binder", 1, "server may be due"),
    (user("b", last_min=-5), "binder", 4, None),  # no server, active 5 min ago (10 min)
    (user("b", last_min=-5), "binder", 5, "may be deleted"),
    (user("c", last_min=-6000), "community", 5, None),  # never deleted
]


@pytest.mark.parametrize("u,kind,minutes,reason", TABLE)
def test_table(u, kind, minutes, reason):
    kinds = BINDER_KINDS if kind == "binder" else COMMUNITY_KINDS
    why = why_list(CONFIG, listing(u), {u.name: res(kind, u.name)}, kinds, at(minutes))
    assert (why is None) if reason is None else (why is not None and reason in why), why


def test_no_listing_or_a_missing_resolution_lists():
    assert why_list(CONFIG, None, {}, COMMUNITY_KINDS, T) is not None
    u = user("c", srv(0))
    assert "no resolution" in why_list(CONFIG, listing(u), {}, COMMUNITY_KINDS, at(1))


def test_a_lock_moved_earlier_in_the_database_lists_at_once():
    u = user("p", srv(0))
    fresh = {"p": res("participant", "p", ends=at(2))}  # an instructor ended it early
    assert why_list(CONFIG, listing(u), fresh, COMMUNITY_KINDS, at(1)) is None
    assert "may be due" in why_list(CONFIG, listing(u), fresh, COMMUNITY_KINDS, at(2))


def test_after_sweep_forgets_what_it_culled_and_deleted():
    users = [user("a", srv(-70), srv(-1, name="lab")), user("b", srv(-70)), user("c")]
    left = after_sweep(users, {"a": {""}, "b": {""}}, {"b"}, T, at(0.5))
    assert [u.name for u in left.users] == ["a", "c"]
    a = left.users[0]
    assert [s.name for s in a.servers] == ["lab"] and a.last_activity == at(0.5)
    assert left.users[1] == users[2] and left.at == T


# --- the property: skipping never hides anything that is due -------------------------

minutes = st.floats(0, 500)
kinds = st.sampled_from(["community", "participant", "instructor", "binder"])


@st.composite
def later_state(draw, u: CullUser, now: datetime):
    """What a listing at ``now`` could see of ``u``: each server gone or still running
    with at least as recent activity; perhaps a server started since; the user's activity
    no older (a stop sets it)."""
    span = (now - T).total_seconds() / 60
    servers = []
    for s in u.servers:
        if draw(st.booleans()):
            continue  # stopped since
        more = draw(st.floats(0, 10_000))
        last = max(s.last_activity, at(0)) if draw(st.booleans()) else s.last_activity
        pending = s.pending if draw(st.booleans()) else None
        servers.append(
            replace(
                s,
                last_activity=min(last + timedelta(minutes=more), now),
                ready=True if pending is None else s.ready,
                pending=pending,
            )
        )
    if draw(st.booleans()):  # started since the listing
        started = at(draw(st.floats(0, span)))
        servers.append(CullServer("new", True, None, started, started))
    last = u.last_activity + timedelta(minutes=draw(st.floats(0, 1000)))
    return replace(u, servers=tuple(servers), last_activity=min(max(last, u.last_activity), now))


@given(
    kind=kinds,
    idle=st.lists(minutes, max_size=2),
    age_extra=st.lists(minutes, min_size=2, max_size=2),
    pending=st.booleans(),
    user_idle=minutes,
    after=st.floats(0, 120),
    data=st.data(),
)
def test_a_skipped_listing_never_hides_a_due_server_or_user(
    kind, idle, age_extra, pending, user_idle, after, data
):
    servers = tuple(
        srv(-i, started_min=-i - age_extra[n], name="" if n == 0 else f"s{n}",
            pending="spawn" if pending and n == 0 else None, ready=not (pending and n == 0))
        for n, i in enumerate(idle)
    )  # fmt: skip
    u = user("u", *servers, last_min=-user_idle)
    r = res(kind)
    kinds_ = BINDER_KINDS if kind == "binder" else COMMUNITY_KINDS
    now = at(after)
    if why_list(CONFIG, listing(u), {"u": r}, kinds_, now) is not None:
        return
    fresh = data.draw(later_state(u, now))
    decisions = [decide_server(policy_for(CONFIG, r, (), s.profile), s, now, locks_at=r.locks_at)
                 for s in fresh.servers]  # fmt: skip
    assert not any(d.culls for d in decisions), (fresh, decisions)
    kept = len(decisions)
    ud = decide_user(policy_for(CONFIG, r), r, fresh, now, still_running=kept, culled_now=False)
    assert not ud.delete, (fresh, ud)
