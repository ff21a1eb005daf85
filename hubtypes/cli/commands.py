"""What the ``hubtypes`` subcommands do against hubtypes' database."""

from __future__ import annotations

import argparse
import sys

from hubtypes.access.expiry import account_status
from hubtypes.cli import hubcheck
from hubtypes.cli.databases import close_databases, open_database
from hubtypes.cli.errors import CliError
from hubtypes.cli.output import print_credentials, print_table
from hubtypes.clock import human, utcnow
from hubtypes.db.models import Role
from hubtypes.db.queries.accounts import create_accounts, list_accounts, usernames_with_prefix
from hubtypes.db.queries.resets import purged_workshops
from hubtypes.db.queries.workshops import (
    create_workshop,
    find_workshop,
    list_workshops,
    reopen_workshop,
    require_open_workshop,
)
from hubtypes.inputs import (
    InputError,
    check_expiry,
    check_names_or_count,
    check_role,
    check_workshop,
    parse_when,
    plan_usernames,
    split_names,
)
from hubtypes.lifecycle.workshops import workshop_status

CLI_ACTOR = "cli"


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    finally:
        close_databases()


def _run(args: argparse.Namespace) -> int:
    if args.command == "grants":
        from hubtypes.cli import grants

        return grants.run(args)
    from hubtypes.cli import people

    if (args.command, getattr(args, "action", None)) in people.HANDLED:
        return people.run(args, open_database, CLI_ACTOR)
    if getattr(args, "hub_url", None):
        from hubtypes.cli import remote

        return remote.run(args)
    if args.command == "db":
        return db_upgrade(args.db_url)
    if args.command == "workshop" and args.action == "reopen":
        return workshop_reopen(args)
    if args.command == "workshop":
        return workshop_create(args) if args.action == "create" else workshop_list(args)
    if args.command == "accounts":
        return accounts_create(args) if args.action == "create" else accounts_list(args)
    if args.command == "usage":
        return usage(args)
    if args.command == "demo":
        from hubtypes.cli.demo import run_demo

        return run_demo(args)
    raise CliError(f"unknown command {args.command}")


def db_upgrade(url: str) -> int:
    from hubtypes.db.schema import upgrade

    before, after = upgrade(url)
    print(f"hubtypes' database is at revision {after} (was {before or 'empty'})")
    return 0


def workshop_create(args: argparse.Namespace) -> int:
    now = utcnow()
    data = check_workshop(args.slug, args.title, args.starts, args.ends, args.delete_after, now)
    with open_database(args.db_url).session() as session:
        view = create_workshop(session, data, created_by=CLI_ACTOR, now=now)
    print(
        f"workshop {view.slug!r} ({view.title}): opens {human(view.starts_at)}, "
        f"locks {human(view.ends_at)}, purged after {human(view.delete_after)}"
    )
    return 0


def workshop_reopen(args: argparse.Namespace) -> int:
    """An admin's explicit act: open a purged workshop again, with new dates (audited)."""
    now = utcnow()
    with open_database(args.db_url).session() as session:
        current = find_workshop(session, args.slug)
        data = check_workshop(
            args.slug,
            current.title if args.title is None else args.title,
            args.starts or current.starts_at.isoformat(),
            args.ends or current.ends_at.isoformat(),
            args.delete_after,
            now,
        )
        view = reopen_workshop(session, data, actor=CLI_ACTOR, now=now)
    print(
        f"workshop {view.slug!r} reopened: locks {human(view.ends_at)}, "
        f"purged after {human(view.delete_after)}"
    )
    return 0


def workshop_list(args: argparse.Namespace) -> int:
    with open_database(args.db_url, read_only=True).session() as session:
        rows = list_workshops(session, include_archived=args.archived)
        purged = purged_workshops(session)
    now = utcnow()
    table = [
        [
            w.slug,
            w.title,
            workshop_status(w, now, purged=w.slug in purged).value,
            human(w.starts_at),
            human(w.ends_at),
            human(w.delete_after),
            str(sum(counts.values())),
        ]
        for w, counts in rows
    ]
    print_table(
        ["slug", "title", "status", "opens", "locks", "purge", "accounts"], table, sys.stdout
    )
    return 0


def accounts_create(args: argparse.Namespace) -> int:
    now = utcnow()
    role = Role(check_role(args.role))
    if args.workshop is None and role is not Role.admin:
        raise InputError("workshop", "participants and instructors need --workshop SLUG")
    given = split_names(args.usernames)
    count = check_names_or_count(given, args.count)
    expires = parse_when(args.expires, "expires", now) if args.expires else None
    prefix = args.prefix if args.prefix is not None else f"{args.workshop or 'admin'}-"
    if args.workshop:  # a missing or closed workshop is said first, before asking the hub
        with open_database(args.db_url).session() as session:
            require_open_workshop(session, args.workshop)
    # names the hub already has never get a code (asked before anything is written)
    hub_names = hubcheck.hub_users(args, hubcheck.common_prefix(given) if given else prefix)
    if hub_names and (taken := sorted(set(given) & hub_names)):
        raise InputError("usernames", f"already hub users: {', '.join(taken)}")
    with open_database(args.db_url).session() as session:
        workshop = find_workshop(session, args.workshop) if args.workshop else None
        check_expiry(expires, workshop.delete_after if workshop else None, now)
        names = given
        if count is not None:
            taken_names = usernames_with_prefix(session, prefix) | (hub_names or set())
            names = plan_usernames(prefix, count, taken_names)
        credentials = create_accounts(
            session,
            usernames=names,
            workshop=args.workshop,
            role=role,
            expires_at=expires,
            created_by=CLI_ACTOR,
            now=now,
        )
    print_credentials([c.as_dict() for c in credentials], args.format, sys.stdout)
    print(
        f"created {len(credentials)} {role.value} account(s); the codes are shown only once",
        file=sys.stderr,
    )
    return 0


def accounts_list(args: argparse.Namespace) -> int:
    now = utcnow()
    with open_database(args.db_url, read_only=True).session() as session:
        views = list_accounts(session, args.workshop)
    rows = [
        [
            v.username,
            v.role,
            account_status(v, now).state.value,
            human(v.last_login_at) if v.last_login_at else "never",
            human(v.expires_at) if v.expires_at else "",
        ]
        for v in views
    ]
    print_table(["username", "role", "status", "last login", "own expiry"], rows, sys.stdout)
    return 0


def usage(args: argparse.Namespace) -> int:
    """The culler's daily counts: people and server hours per day, hub type and workshop."""
    from datetime import timedelta

    from hubtypes.db.queries.usage import usage_since

    if not 1 <= args.days <= 3660:
        raise InputError("days", f"give 1 to 3660, not {args.days}")
    with open_database(args.db_url, read_only=True).session() as session:
        rows = usage_since(session, utcnow().date() - timedelta(days=args.days - 1))
    table = [
        [r["day"], r["hub_type"], r["workshop"], str(r["active_users"]), f"{r['server_hours']:g}"]
        for r in rows
    ]
    print_table(["day", "hub type", "workshop", "people", "server hours"], table, sys.stdout)
    return 0
