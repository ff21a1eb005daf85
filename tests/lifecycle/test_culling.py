"""The culler's decisions as tables, and its safety properties under hypothesis."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubtypes.lifecycle.culling import (
    DEFAULT_POLICIES,
    CullPolicy,
    CullServer,
    CullUser,
    decide_server,
    decide_user,
    kind_of,
    make_config,
    may_delete_users,
    needs_busy_check,
    parse_time,
    policy_for,
    possible_kinds,
    unanswered,
)
from hubtypes.records import AccountView, WorkshopView
from hubtypes.storage.hub_types import HubType, ResolverConfig, resolve

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
WS = WorkshopView("py", "Python", NOW - timedelta(days=1), NOW + timedelta(days=1),
                  NOW + timedelta(days=9))  # fmt: skip
LOCKED_WS = WorkshopView("old", "Old", NOW - timedelta(days=3), NOW - timedelta(hours=1),
                         NOW + timedelta(days=9))  # fmt: skip


def res(kind: str, default: HubType = HubType.community):
    account = None
    if kind == "participant":
        account = AccountView("p", "participant", WS)
    elif kind == "locked":
        account = AccountView("p", "participant", LOCKED_WS)
    elif kind == "instructor":
        account = AccountView("t", "instructor", WS)
    return resolve(ResolverConfig(default_type=default), "u", account, NOW, check_access=False)


def server(idle_min: float | None, age_min: float, name: str = "", **kw) -> CullServer:
    last = NOW - timedelta(minutes=idle_min) if idle_min is not None else None
    return CullServer(name, kw.pop("ready", True), kw.pop("pending", None),
                      NOW - timedelta(minutes=age_min), last, **kw)  # fmt: skip


# hub type (resolved) x idle minutes x age minutes x busy -> action, reason
SERVER_TABLE = [
    # community: 60 min idle, no max age
    ("community", 59, 600, None, "keep", "active"),
    ("community", 60, 600, None, "stop", "idle"),
    ("community", 600, 6000, True, "keep", "busy"),  # busy, no max age: kept
    ("community", None, 30, None, "keep", "active"),  # never active: counts from start
    ("community", None, 61, None, "stop", "idle"),
    # workshop participant: 30 min
    ("participant", 29, 100, None, "keep", "active"),
    ("participant", 31, 100, None, "stop", "idle"),
    ("participant", 31, 100, True, "keep", "busy"),
    ("participant", 31, 100, False, "stop", "idle"),
    ("locked", 0, 10, True, "stop", "locked"),  # past its lock time: busy or not
    # workshop instructor: like community
    ("instructor", 31, 100, None, "keep", "active"),
    ("instructor", 61, 100, None, "stop", "idle"),
    # binder: 10 min idle, 6 h max age
    ("binder", 9, 100, None, "keep", "active"),
    ("binder", 10, 100, None, "stop", "idle"),
    ("binder", 1, 359, True, "keep", "busy"),
    ("binder", 1, 360, True, "stop", "max-age"),  # busy, but over the max age
    ("binder", 0, 360, None, "stop", "max-age"),
]


@pytest.mark.parametrize("who,idle,age,busy,action,reason", SERVER_TABLE)
def test_server_table(who, idle, age, busy, action, reason):
    r = res("binder", HubType.binder) if who == "binder" else res(who)
    policy = policy_for(make_config(), r)
    d = decide_server(policy, server(idle, age), NOW, busy=busy, locks_at=r.locks_at)
    assert (d.action, d.reason) == (action, reason)


def test_due_in_is_the_earlier_of_idle_and_age():
    policy = DEFAULT_POLICIES["binder"]
    d = decide_server(policy, server(2, 355), NOW)
    assert d.action == "keep" and d.due_in == pytest.approx(5 * 60)
    d = decide_server(policy, server(2, 100), NOW)
    assert d.due_in == pytest.approx(8 * 60)


@pytest.mark.parametrize(
    "srv,reason",
    [
        (server(999, 999, pending="spawn"), "pending"),
        (server(999, 999, pending="stop"), "pending"),
        (server(999, 999, ready=False), "not-ready"),
    ],
)
def test_pending_and_not_ready_servers_are_never_touched(srv, reason):
    d = decide_server(CullPolicy(idle_timeout=1, max_age=1), srv, NOW, locks_at=NOW)
    assert (d.action, d.reason) == ("keep", reason)


def test_named_servers_stopped_or_removed():
    named = server(100, 100, name="gpu")
    assert decide_server(CullPolicy(60), named, NOW).action == "stop"
    assert decide_server(CullPolicy(60, remove_named=True), named, NOW).action == "remove"
    # the default server is never "removed"
    assert decide_server(CullPolicy(60, remove_named=True), server(100, 100), NOW).action == "stop"


def test_exempt_and_busy_check():
    d = decide_server(CullPolicy(60, cull=False), server(999, 999), NOW)
    assert (d.action, d.reason) == ("keep", "exempt")
    assert needs_busy_check(decide_server(CullPolicy(60), server(61, 99), NOW))
    assert not needs_busy_check(decide_server(CullPolicy(60, 90), server(61, 99), NOW))


def user(admin=False, idle_min=120.0, groups=()):
    return CullUser("u", admin, tuple(groups), NOW - timedelta(days=1),
                    NOW - timedelta(minutes=idle_min), ())  # fmt: skip


# who x admin x still running x culled now x user idle min -> delete, reason
USER_TABLE = [
    ("community", False, 0, True, 999, False, "community"),
    ("community", True, 0, True, 999, False, "community"),
    ("participant", False, 0, True, 999, False, "policy"),
    ("instructor", False, 0, True, 999, False, "policy"),
    ("binder", True, 0, True, 999, False, "admin"),
    ("binder", False, 1, True, 999, False, "servers-running"),
    ("binder", False, 0, True, 0, True, "ephemeral"),  # culled in this sweep
    ("binder", False, 0, False, 5, False, "active"),  # no server yet, just arrived
    ("binder", False, 0, False, 11, True, "ephemeral"),  # no server, inactive
]


@pytest.mark.parametrize("who,admin,running,culled,idle,delete,reason", USER_TABLE)
def test_user_table(who, admin, running, culled, idle, delete, reason):
    r = res("binder", HubType.binder) if who == "binder" else res(who)
    d = decide_user(policy_for(make_config(), r), r, user(admin, idle), NOW,
                    still_running=running, culled_now=culled)  # fmt: skip
    assert (d.delete, d.reason) == (delete, reason)


def test_overrides_workshop_group_profile_in_order():
    config = make_config(
        {"workshop-participant": {"idle_timeout": 900}},
        by_workshop={"py": {"idle_timeout": 1200}},
        by_group={"gpu-users": {"idle_timeout": 300, "max_age": 3600}},
        by_profile={"big": {"idle_timeout": 120}},
        profiles=["big", "small"],
    )
    r = res("participant")
    assert kind_of(r) == "workshop-participant"
    assert policy_for(config, r).idle_timeout == 1200
    assert policy_for(config, res("locked")).idle_timeout == 900  # another workshop
    assert policy_for(config, r, ["gpu-users"]).idle_timeout == 300
    assert policy_for(config, r, ["gpu-users"], "big") == CullPolicy(120, 3600)
    assert policy_for(config, r, [], "small").idle_timeout == 1200


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"policies": {"cloud": {}}}, "c.CullerService.policies['cloud']: unknown kind"),
        ({"policies": {"binder": {"idle_timeout": 0}}}, "idle_timeout must be more than 0"),
        ({"policies": {"binder": {"idle_timeout": -5}}}, "idle_timeout must be more than 0"),
        ({"policies": {"binder": {"max_age": 60}}}, "max_age (60 s) is below idle_timeout"),
        ({"policies": {"binder": {"max_age": -1}}}, "max_age must be 0"),
        ({"policies": {"binder": {"idle": 1}}}, "unknown field(s) ['idle']"),
        ({"policies": {"binder": {"idle_timeout": "1h"}}}, "must be a number of seconds"),
        ({"policies": {"binder": {"delete_user": "yes"}}}, "must be True or False"),
        ({"by_group": {"g": {"idle_timeout": 0}}}, "group_overrides['g'].idle_timeout"),
        ({"by_profile": {"nope": {}}, "profiles": ["big"]}, "profile_overrides['nope']: unknown"),
    ],
)
def test_bad_config_names_the_trait(kwargs, message):
    policies = kwargs.pop("policies", None)
    with pytest.raises(ValueError) as e:
        make_config(policies, **kwargs)
    assert message in str(e.value)


def test_parse_time():
    assert parse_time("2026-12-01T12:00:00.123Z") == NOW + timedelta(milliseconds=123)
    assert parse_time("2026-12-01T12:00:00") == NOW
    assert parse_time(None) is None


flags = st.booleans()
policies = st.builds(
    CullPolicy,
    idle_timeout=st.floats(1, 1e6),
    max_age=st.sampled_from([0.0, 1e6, 2e6]),
    remove_named=flags,
    delete_user=flags,
    cull=flags,
)


@given(
    policy=policies,
    who=st.sampled_from(["community", "participant", "instructor", "binder", "locked"]),
    default=st.sampled_from(list(HubType)),
    admin=flags,
    running=st.integers(0, 2),
    culled=flags,
    idle=st.floats(0, 1e5),
)
def test_no_decision_deletes_a_community_user_or_an_admin(
    policy, who, default, admin, running, culled, idle
):
    r = res(who, default)
    d = decide_user(policy, r, user(admin, idle), NOW, still_running=running, culled_now=culled)
    if r.hub_type == HubType.community or admin:
        assert not d.delete
    if running:
        assert not d.delete


@given(policy=policies, idle=st.floats(0, 1e5), age=st.floats(0, 1e5))
def test_a_busy_server_is_culled_only_past_its_max_age(policy, idle, age):
    d = decide_server(policy, server(min(idle, age), age), NOW, busy=True)
    if d.culls:
        assert policy.max_age and age * 60 >= policy.max_age


def test_inactive_users_are_listed_only_where_someone_may_be_deleted():
    config = make_config()
    community = possible_kinds(HubType.community, "community")
    assert not may_delete_users(config, community)  # binder users cannot occur there
    assert may_delete_users(config, possible_kinds(HubType.binder, "community"))
    assert may_delete_users(config, possible_kinds(HubType.workshop, "binder"))
    assert may_delete_users(make_config({"workshop-participant": {"delete_user": True}}),
                            community)  # fmt: skip


@pytest.mark.parametrize(
    "who,idle,age,before,action,reason",
    [
        ("community", 61, 100, False, "keep", "unanswered"),  # maybe busy: ask again
        ("community", 61, 100, True, "stop", "idle"),  # unanswered twice: activity decides
        ("community", 5, 100, False, "keep", "active"),  # not about to be culled anyway
        ("binder", 0, 360, False, "stop", "max-age"),  # past its max age: no question
        ("locked", 0, 10, False, "stop", "locked"),
    ],
)
def test_a_server_that_does_not_answer_is_kept_one_sweep(who, idle, age, before, action, reason):
    r = res("binder", HubType.binder) if who == "binder" else res(who)
    d = decide_server(policy_for(make_config(), r), server(idle, age), NOW, locks_at=r.locks_at)
    got = unanswered(d, unanswered_before=before)
    assert (got.action, got.reason) == (action, reason)
    if reason == "unanswered":
        assert got.due_in == 0.0 and got.idle_for == d.idle_for
