"""``hubtypes grants``: identities the hub's own login lets into a workshop for its dates.

Two routes, like the other subcommands: hubtypes' database (operators, ``--db-url``) or
the workshop service's REST API (instructors, ``--hub-url`` and a token). Only the
service's route always sees the hub's admins and refuses grants for them; the database
route asks the hub too when it is given one (``--hub-api-url``, or $JUPYTERHUB_API_URL, and
``--token``), and otherwise says that it could not check. Every other bad grant is refused
the same way on both routes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from hubtypes.access.grants import (
    GRANT_ROLES,
    IdentityKind,
    IdentityRules,
    check_identities,
    grant_json,
    grant_refusals,
    parse_roster,
)
from hubtypes.cli.errors import CliError
from hubtypes.cli.hubcheck import hub_admins
from hubtypes.cli.output import print_table
from hubtypes.clock import utcnow
from hubtypes.errors import Conflict, InputError
from hubtypes.hub.client import quote_name

ACTOR = "cli"
ADMINS_NOT_CHECKED = (
    "note: not checked against the hub's admins (give --hub-api-url and --token to check); "
    "a grant for a hub admin would change nothing: admins always have access"
)
COLUMNS = ["identity", "role", "status", "standing", "server", "expires_at", "last_login_at"]


def add_parser(commands: Any, route_args: Any) -> None:
    grants = commands.add_parser(
        "grants", help="identities (GitHub logins, emails) granted a workshop"
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    add = grants.add_parser("add", help="grant a workshop to identities")
    add.add_argument("--workshop", required=True, help="workshop slug")
    add.add_argument("identities", nargs="*", help="logins or emails, as the hub names people")
    add.add_argument("--roster", help="a CSV with an identity/username/login/github/email column")
    add.add_argument("--expires", help="the grants' own end (default: the workshop's lock)")
    add.add_argument(
        "--role",
        choices=list(GRANT_ROLES),
        default="participant",
        help="instructors manage the workshop in the service (%(default)s)",
    )
    add.add_argument(
        "--kind",
        choices=[k.value for k in IdentityKind],
        default="any",
        help="how the hub names people: login refuses emails, email refuses logins (%(default)s)",
    )
    add.add_argument(
        "--hub-api-url",
        default=os.environ.get("JUPYTERHUB_API_URL") or None,
        help="database route: the hub's REST API, asked which of the identities are hub "
        "admins (refused: admins always have access); default $JUPYTERHUB_API_URL, the "
        "token is --token",
    )
    route_args(add)
    listing = grants.add_parser("list", help="a workshop's grants")
    listing.add_argument("--workshop", required=True, help="workshop slug")
    route_args(listing)
    remove = grants.add_parser("remove", help="remove a grant nobody has used yet")
    remove.add_argument("--workshop", required=True, help="workshop slug")
    remove.add_argument("identity", help="the granted identity")
    route_args(remove)


def _raws(args: argparse.Namespace) -> list[str]:
    raws = list(args.identities)
    if args.roster:
        try:
            raws += parse_roster(Path(args.roster).read_text(encoding="utf-8"))
        except OSError as e:
            raise InputError("roster", f"cannot read {args.roster}: {e.strerror}") from None
    return raws


def run(args: argparse.Namespace) -> int:
    if getattr(args, "hub_url", None):
        return asyncio.run(_remote(args))
    from hubtypes.cli.databases import open_database
    from hubtypes.db.queries import grants as queries
    from hubtypes.db.queries.workshops import find_workshop
    from hubtypes.inputs import check_expiry, parse_when

    now = utcnow()
    with open_database(args.db_url).session() as session:
        if args.action == "list":
            _print([grant_json(g, now) for g in queries.list_grants(session, args.workshop)])
            return 0
        if args.action == "remove":
            grant = queries.grant_row(session, args.workshop, args.identity)
            if grant.last_login_at is not None:
                raise Conflict(
                    "identity", f"{args.identity} has logged in; use the service to end it"
                )
            queries.delete_grant(session, args.identity, actor=ACTOR, now=now)
            print(f"removed the grant of {args.identity}", file=sys.stderr)
            return 0
        identities = check_identities(_raws(args), IdentityRules(IdentityKind(args.kind)))
        names = [i.name for i in identities]
        expires = parse_when(args.expires, "expires", now) if args.expires else None
        check_expiry(expires, find_workshop(session, args.workshop).delete_after, now)
        admins = hub_admins(args, names)
        if admins is None:
            print(ADMINS_NOT_CHECKED, file=sys.stderr)
        refusals = grant_refusals(
            names, args.workshop, admins=sorted(admins or ()),
            accounts=queries.account_names(session, names),
            granted=queries.granted_workshops(session, names),
        )  # fmt: skip
        if refusals:
            raise Conflict("identities", "; ".join(f"{r.identity} {r.message}" for r in refusals))
        added, already = queries.add_grants(
            session, args.workshop, identities, expires_at=expires, actor=ACTOR, now=now,
            role=args.role,
        )  # fmt: skip
        grants = [grant_json(g, now) for g in queries.list_grants(session, args.workshop)]
    _report(added, already, [(i.given, i.name, i.notes) for i in identities if i.notes])
    _print(grants)
    return 0


async def _remote(args: argparse.Namespace) -> int:
    from hubtypes.cli.remote import Service

    service = Service(args)
    base = f"/workshops/{quote_name(args.workshop)}/grants"
    if args.action == "list":
        _print((await service.call("GET", base))["grants"])
        return 0
    if args.action == "remove":
        await service.call("DELETE", f"{base}/{quote_name(args.identity)}")
        print(f"removed the grant of {args.identity}", file=sys.stderr)
        return 0
    raws = _raws(args)
    if not raws:
        raise CliError("identities: give logins or emails, or --roster FILE")
    body: dict[str, Any] = {"identities": raws, "role": args.role}
    if args.expires:
        body["expires"] = args.expires
    result = await service.call("POST", base, body)
    notes = [(n["given"], n["identity"], n["notes"]) for n in result["normalised"]]
    _report(result["added"], result["already"], notes)
    _print(result["grants"])
    return 0


def _report(added: list[str], already: list[str], notes: list[tuple[str, str, Any]]) -> None:
    for given, name, why in notes:
        print(f"{given.strip()!r} is granted as {name!r}: {'; '.join(why)}", file=sys.stderr)
    extra = f"; already granted: {', '.join(already)}" if already else ""
    print(
        f"granted {len(added)} identit{'y' if len(added) == 1 else 'ies'}{extra}", file=sys.stderr
    )


def _print(grants: list[dict[str, Any]]) -> None:
    rows = [["" if g.get(c) is None else str(g[c]) for c in COLUMNS] for g in grants]
    print_table(COLUMNS, rows, sys.stdout)
