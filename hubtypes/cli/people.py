"""``hubtypes accounts reissue|unthrottle|import`` and ``hubtypes workshop archive``: what an
instructor or admin does for the people at a live workshop, against hubtypes' database or
(with ``--hub-url``) through the workshop service, which also ends the account's open
sessions at once on a reissue.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from hubtypes.access.roster import RosterError, parse_roster, plan_json, plan_roster
from hubtypes.cli import hubcheck
from hubtypes.cli.errors import CliError
from hubtypes.cli.output import print_credentials, print_table
from hubtypes.clock import utcnow
from hubtypes.inputs import InputError


def add_parsers(accounts: Any, workshop: Any, route_args: Any) -> None:
    reissue = accounts.add_parser(
        "reissue", help="a new code for a lost one (the account and its files stay)"
    )
    reissue.add_argument("username", help="the account")
    reissue.add_argument("--workshop", help="its workshop (required with --hub-url)")
    reissue.add_argument("--format", choices=["csv", "table"], default="table")
    route_args(reissue)
    unthrottle = accounts.add_parser(
        "unthrottle", help="clear an account's failed logins so it may try again now (audited)"
    )
    unthrottle.add_argument("username", help="the account")
    unthrottle.add_argument("--workshop", help="its workshop (required with --hub-url)")
    route_args(unthrottle)
    imp = accounts.add_parser(
        "import", help="accounts for a roster (CSV with name/email columns, or one person a line)"
    )
    imp.add_argument("roster", help="the roster file ('-': standard input)")
    imp.add_argument("--workshop", required=True, help="workshop slug")
    imp.add_argument("--prefix", default=None, help="username prefix (default: '<workshop>-')")
    imp.add_argument("--role", default="participant", help="participant (default) or instructor")
    imp.add_argument("--dry-run", action="store_true", help="show the usernames; create nothing")
    imp.add_argument("--format", choices=["csv", "table"], default="table")
    route_args(imp)
    hubcheck.add_arguments(imp)
    archive = workshop.add_parser(
        "archive", help="hide a purged workshop from the lists (its audit log stays; admins)"
    )
    archive.add_argument("slug", help="the purged workshop")
    route_args(archive)


ROSTER_ROLES = ("participant", "instructor")
ROSTER_EXTRA = ("name", "email")  # shown beside each new code: whom it is for
HANDLED = {("accounts", "reissue"), ("accounts", "unthrottle"), ("accounts", "import"),
           ("workshop", "archive")}  # fmt: skip


def run(args: argparse.Namespace, open_db: Any, actor: str) -> int:
    """``open_db(url)``: the command line's database opener; ``actor``: its audit name."""
    if args.action == "import" and args.role not in ROSTER_ROLES:
        # as the service's roster route: a roster makes participants or instructors
        roles = " or ".join(ROSTER_ROLES)
        raise InputError("role", f"{args.role!r} is not a role for a roster; use {roles} "
                         "(admins: accounts create --role admin)")  # fmt: skip
    if getattr(args, "hub_url", None):
        return _remote(args)
    CLI_ACTOR = actor  # noqa: N806 (the name the other commands use)
    now = utcnow()
    db = open_db(args.db_url)
    if args.action == "archive":
        from hubtypes.db.queries.workshops import archive_workshop

        with db.session() as session:
            archive_workshop(session, args.slug, actor=CLI_ACTOR, now=now)
        print(f"workshop {args.slug!r} archived: hidden from lists, its audit log kept")
        return 0
    if args.action == "import":
        return _import_db(args, db, now, actor)
    from hubtypes.db.queries.accounts import account_view, clear_throttle, reissue_code

    with db.session() as session:
        view = account_view(session, args.username)
        if view is None or view.workshop is None:
            raise InputError("username", f"no workshop account {args.username!r}")
        slug = args.workshop or view.workshop.slug
        if args.action == "unthrottle":
            n = clear_throttle(session, slug, args.username, actor=CLI_ACTOR, now=now)
            print(f"cleared {n} failed-login counter(s) of {args.username!r}")
            return 0
        credential = reissue_code(session, slug, args.username, actor=CLI_ACTOR, now=now)
    print_credentials([credential.as_dict()], args.format, sys.stdout)
    print(
        "the old code no longer works; its hub sessions end at the hub's next check (within "
        "a minute; give --hub-url to also stop its servers now)",
        file=sys.stderr,
    )
    return 0


def _read(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError("roster", f"cannot read {path}: {e}") from None


def _print_plan(people: list[dict[str, Any]]) -> None:
    rows = [[str(p["line"]), p["name"] or "", p["email"] or "", p["username"] or "",
             p["problem"] or p["note"] or ""] for p in people]  # fmt: skip
    print_table(["line", "name", "email", "username", "note"], rows, sys.stdout)


def _import_db(args: argparse.Namespace, db: Any, now: Any, actor: str) -> int:
    from hubtypes.db.models import Role
    from hubtypes.db.queries.accounts import create_accounts, existing_usernames
    from hubtypes.db.queries.workshops import require_open_workshop

    prefix = args.prefix if args.prefix is not None else f"{args.workshop}-"
    try:
        people = parse_roster(_read(args.roster))
    except RosterError as e:
        raise InputError("roster", str(e)) from None
    hub_names = hubcheck.hub_users(args, prefix) or set()
    with db.session() as session:
        require_open_workshop(session, args.workshop)
        plan = plan_roster(people, hub_names, prefix)
        plan = plan_roster(people, hub_names | existing_usernames(session, plan.usernames), prefix)
        data = plan_json(plan)
        if args.dry_run or plan.problems:
            _print_plan(data["people"])
            if plan.problems:
                raise InputError("roster", f"{len(plan.problems)} row(s) cannot get a username")
            return 0
        creds = create_accounts(session, usernames=plan.usernames, workshop=args.workshop,
                                role=Role(args.role), expires_at=None, created_by=actor,
                                now=now)  # fmt: skip
    by_name = {p["username"]: p for p in data["people"]}
    rows = [{**c.as_dict(), "name": by_name[c.username]["name"],
             "email": by_name[c.username]["email"]} for c in creds]  # fmt: skip
    print_credentials(rows, args.format, sys.stdout, extra=ROSTER_EXTRA)
    print(f"created {len(rows)} account(s); the codes are shown only once", file=sys.stderr)
    return 0


def _remote(args: argparse.Namespace) -> int:
    from hubtypes.cli.remote import Service
    from hubtypes.hub.client import quote_name

    service = Service(args)
    if args.action == "archive":
        asyncio.run(service.call("POST", f"/workshops/{quote_name(args.slug)}/archive", {}))
        print(f"workshop {args.slug!r} archived: hidden from lists, its audit log kept")
        return 0
    if not args.workshop:
        raise CliError("--workshop: give --workshop SLUG (with --hub-url, accounts belong to one)")
    base = f"/workshops/{quote_name(args.workshop)}"
    if args.action == "import":
        prefix = args.prefix if args.prefix is not None else f"{args.workshop}-"
        body = {"roster": _read(args.roster), "role": args.role, "prefix": prefix}
        plan = asyncio.run(service.call("POST", base + "/roster?dry_run=true", body))["plan"]
        if args.dry_run or plan["problems"]:
            _print_plan(plan["people"])
            if plan["problems"]:
                raise InputError("roster", f"{plan['problems']} row(s) cannot get a username")
            return 0
        data = asyncio.run(
            service.call("POST", base + "/roster", {**body, "planned": plan["usernames"]})
        )
        print_credentials(data["credentials"], args.format, sys.stdout, extra=ROSTER_EXTRA)
        return 0
    account = f"{base}/accounts/{quote_name(args.username)}"
    if args.action == "unthrottle":
        result = asyncio.run(service.call("DELETE", account + "/throttle"))
        print(f"cleared {result['cleared']} failed-login counter(s) of {args.username!r}")
        return 0
    result = asyncio.run(service.call("POST", account + "/reissue", {}))
    print_credentials([result["credential"]], args.format, sys.stdout)
    ended = result["sessions"]
    how = (
        "its open sessions were ended" if ended.get("ended") else "its sessions end within a minute"
    )
    print(f"the old code no longer works; {how}", file=sys.stderr)
    return 0
