"""The ``hubtypes`` command: database upgrades, workshops, accounts and the demo hub.

Bad input exits with status 2 and one message naming the field, before
anything is written.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from hubtypes._version import __version__
from hubtypes.db.engine import DEFAULT_URL


class _Given(argparse.Action):
    """Stores the value and notes it was given on the command line (not by default)."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        setattr(namespace, self.dest, values)
        setattr(namespace, f"{self.dest}_given", True)


def _db_url_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db-url",
        action=_Given,
        default=os.environ.get("HUBTYPES_DB_URL", DEFAULT_URL),
        help="hubtypes' database (default: $HUBTYPES_DB_URL or %(default)s)",
    )


def _route_args(parser: argparse.ArgumentParser) -> None:
    """The database (operators) or the workshop service through the hub (instructors)."""
    _db_url_arg(parser)
    parser.add_argument(
        "--hub-url",
        action=_Given,
        default=os.environ.get("HUBTYPES_HUB_URL") or None,
        help="go through the workshop service of the hub at this URL instead of the "
        "database (default: $HUBTYPES_HUB_URL); an explicit --db-url overrides $HUBTYPES_HUB_URL",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("JUPYTERHUB_API_TOKEN") or None,
        help="your hub API token, with --hub-url (default: $JUPYTERHUB_API_TOKEN)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubtypes", description="Run and manage community, workshop and binder hubs."
    )
    parser.add_argument("--version", action="version", version=f"hubtypes {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = commands.add_parser("db", help="hubtypes' database").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    upgrade = db.add_parser("upgrade", help="create or upgrade the schema to the current version")
    _db_url_arg(upgrade)

    workshop = commands.add_parser("workshop", help="workshops").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create = workshop.add_parser("create", help="add a workshop")
    create.add_argument("slug", help="short name, e.g. python-2026-12")
    create.add_argument("--title", default="", help="what participants see")
    create.add_argument("--starts", required=True, help="opens (ISO 8601 date/time, UTC default)")
    create.add_argument("--ends", required=True, help="lock time: participants' access ends")
    create.add_argument("--delete-after", required=True, help="purge: accounts and data go")
    _route_args(create)
    reopen = workshop.add_parser(
        "reopen", help="open a purged workshop again, with new dates (admins; audited)"
    )
    reopen.add_argument("slug", help="the purged workshop")
    reopen.add_argument("--title", help="a new title (default: unchanged)")
    reopen.add_argument("--starts", help="a new start (default: unchanged)")
    reopen.add_argument("--ends", help="the new lock time (default: unchanged)")
    reopen.add_argument("--delete-after", required=True, help="the new purge date (must lie ahead)")
    _route_args(reopen)
    listing = workshop.add_parser("list", help="list workshops")
    _route_args(listing)

    accounts = commands.add_parser("accounts", help="workshop accounts").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    acreate = accounts.add_parser("create", help="create accounts; prints their codes once")
    acreate.add_argument("--workshop", help="workshop slug (optional for admin accounts)")
    acreate.add_argument("--count", type=int, help="how many numbered accounts")
    acreate.add_argument("--prefix", help="username prefix (default: '<workshop>-')")
    acreate.add_argument("--usernames", help="comma-separated names instead of --count")
    acreate.add_argument(
        "--role", default="participant", help="participant (default), instructor or admin"
    )
    acreate.add_argument("--expires", help="the accounts' own lock time (default: workshop end)")
    acreate.add_argument("--format", choices=["csv", "table"], default="table")
    _route_args(acreate)
    from hubtypes.cli import hubcheck

    hubcheck.add_arguments(acreate)
    alist = accounts.add_parser("list", help="list a workshop's accounts")
    alist.add_argument("--workshop", help="workshop slug (omit for hub-wide admin accounts)")
    _route_args(alist)

    usage = commands.add_parser(
        "usage", help="daily usage counts (kept when users are deleted); read-only"
    )
    usage.add_argument("--days", type=int, default=14, help="how many days back (%(default)s)")
    _db_url_arg(usage)

    from hubtypes.cli.grants import add_parser as add_grants_parser

    add_grants_parser(commands, _route_args)

    demo = commands.add_parser("demo", help="run a complete local hub of one type")
    demo.add_argument(
        "--type",
        default="workshop",
        choices=["community", "workshop", "binder"],
        help="which hub type (%(default)s)",
    )
    demo.add_argument(
        "--port",
        type=int,
        default=8000,
        help="the hub's port on 127.0.0.1 (%(default)s); the demo also uses the next three "
        "and --port + 81, as JupyterHub's defaults 8001 and 8081 are",
    )
    demo.add_argument(
        "--state-dir",
        default=None,
        help="where the demo keeps its state (default: hubtypes-demo, or "
        "hubtypes-demo-community / hubtypes-demo-binder)",
    )
    demo.add_argument(
        "--participants", type=int, default=3, help="participant accounts (%(default)s)"
    )
    _add_examples(parser)
    return parser


# one example per command, shown at the end of its --help (groups show their commands')
EXAMPLES = {
    "db upgrade": "hubtypes db upgrade --db-url postgresql+psycopg2://hubtypes@db/hubtypes",
    "workshop create": (
        'hubtypes workshop create python-2026-12 --title "Python basics" '
        "--starts 2026-12-07T09:00 --ends 2026-12-08T17:00 --delete-after 2027-01-08"
    ),
    "workshop list": "hubtypes workshop list",
    "accounts create": "hubtypes accounts create --workshop python-2026-12 --count 30",
    "accounts list": "hubtypes accounts list --workshop python-2026-12",
    "grants add": "hubtypes grants add --workshop python-2026-12 alice@example.org bob@example.org",
    "grants list": "hubtypes grants list --workshop python-2026-12",
    "grants remove": "hubtypes grants remove --workshop python-2026-12 bob@example.org",
    "usage": "hubtypes usage --days 7",
    "demo": "hubtypes demo --type binder --port 9000",
}


def _add_examples(parser: argparse.ArgumentParser, path: str = "") -> list[str]:
    """Set each (sub)command's epilog to its examples; returns them for the parent's."""
    found: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _add_examples(sub, f"{path} {name}".strip())
    if path in EXAMPLES:
        found.insert(0, EXAMPLES[path])
    if found:
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        label = "example" if len(found) == 1 else "examples"
        parser.epilog = f"{label}:\n" + "\n".join(f"  {e}" for e in found)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    from hubtypes.cli import commands
    from hubtypes.cli.errors import CliError, describe
    from hubtypes.errors import HubTypesError

    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "hub_url", None) and getattr(args, "db_url_given", False):
        if getattr(args, "hub_url_given", False):
            parser.error("give either --db-url or --hub-url, not both")
        args.hub_url = None  # an explicit --db-url beats $HUBTYPES_HUB_URL
    try:
        return commands.run(args)
    except (CliError, HubTypesError) as e:
        print(f"hubtypes: error: {describe(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `hubtypes accounts list | head`: the reader is gone, which is fine
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
