"""What the ``hubtypes`` subcommands do against hubtypes' database."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import TextIO

from hubtypes.access.expiry import account_status
from hubtypes.cli.errors import CliError
from hubtypes.cli.output import print_credentials, print_table
from hubtypes.clock import human, utcnow
from hubtypes.db.engine import Database, DatabaseError
from hubtypes.db.models import Role
from hubtypes.db.queries import accounts as store
from hubtypes.inputs import (
    InputError,
    check_count,
    check_expiry,
    check_role,
    check_usernames,
    check_workshop,
    parse_when,
    plan_usernames,
)

CLI_ACTOR = "cli"


def _open(url: str) -> Database:
    try:
        return Database(url)
    except DatabaseError as e:
        raise CliError(str(e)) from None


def run(args: argparse.Namespace) -> int:
    if getattr(args, "hub_url", None):
        from hubtypes.cli import remote

        return remote.run(args)
    try:
        if args.command == "db":
            return db_upgrade(args.db_url)
        if args.command == "workshop":
            return workshop_create(args) if args.action == "create" else workshop_list(args)
        if args.command == "accounts":
            return accounts_create(args) if args.action == "create" else accounts_list(args)
        if args.command == "demo":
            from hubtypes.cli.demo import run_demo

            return run_demo(args)
    except (InputError, store.StoreError) as e:
        raise CliError(f"--{e.field}: {e.message}") from None
    raise CliError(f"unknown command {args.command}")


def db_upgrade(url: str) -> int:
    from hubtypes.db.schema import upgrade

    before, after = upgrade(url)
    print(f"hubtypes' database is at revision {after} (was {before or 'empty'})")
    return 0


def workshop_create(args: argparse.Namespace) -> int:
    now = utcnow()
    data = check_workshop(args.slug, args.title, args.starts, args.ends, args.delete_after, now)
    with _open(args.db_url).session() as session:
        view = store.create_workshop(session, **asdict(data), created_by=CLI_ACTOR, now=now)
    print(
        f"workshop {view.slug!r} ({view.title}): opens {human(view.starts_at)}, "
        f"locks {human(view.ends_at)}, purged after {human(view.delete_after)}"
    )
    return 0


def workshop_list(args: argparse.Namespace) -> int:
    with _open(args.db_url).session() as session:
        rows = store.list_workshops(session)
    table = [
        [
            w.slug,
            w.title,
            human(w.starts_at),
            human(w.ends_at),
            human(w.delete_after),
            str(sum(counts.values())),
        ]
        for w, counts in rows
    ]
    print_table(["slug", "title", "opens", "locks", "purge", "accounts"], table, sys.stdout)
    return 0


def accounts_create(args: argparse.Namespace) -> int:
    now = utcnow()
    role = Role(check_role(args.role))
    if args.workshop is None and role is not Role.admin:
        raise InputError("workshop", "participants and instructors need --workshop SLUG")
    if args.usernames and args.count is not None:
        raise InputError("usernames", "give either --usernames or --count, not both")
    if not args.usernames and args.count is None:
        raise InputError("count", "give --count N (or --usernames a,b,c)")
    expires = parse_when(args.expires, "expires", now) if args.expires else None
    with _open(args.db_url).session() as session:
        workshop = (
            store.workshop_view(store.require_workshop(session, args.workshop))
            if args.workshop
            else None
        )
        check_expiry(expires, workshop.delete_after if workshop else None, now)
        if args.usernames:
            names = check_usernames([n.strip() for n in args.usernames.split(",") if n.strip()])
        else:
            check_count(args.count)
            prefix = args.prefix if args.prefix is not None else f"{args.workshop or 'admin'}-"
            names = plan_usernames(prefix, args.count, store.usernames_with_prefix(session, prefix))
        credentials = store.create_accounts(
            session,
            usernames=names,
            workshop=args.workshop,
            role=role,
            expires_at=expires,
            created_by=CLI_ACTOR,
            now=now,
        )
    _print_credentials(credentials, args.format, sys.stdout)
    print(
        f"created {len(credentials)} {role.value} account(s); the codes are shown only once",
        file=sys.stderr,
    )
    return 0


def _print_credentials(credentials: Sequence[store.NewCredential], fmt: str, out: TextIO) -> None:
    rows = [
        [
            c.username,
            c.code,
            c.role,
            c.workshop or "",
            c.expires_at.isoformat() if c.expires_at else "",
        ]
        for c in credentials
    ]
    print_credentials(rows, fmt, out)


def accounts_list(args: argparse.Namespace) -> int:
    now = utcnow()
    with _open(args.db_url).session() as session:
        views = store.list_accounts(session, args.workshop)
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
