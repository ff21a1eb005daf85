"""The database route asks the hub which of the names it is about to give codes to are
already hub users: a code for an existing user's name would let whoever holds it log in
as that user (and an admin logging in with a workshop code would lose their admin flag).

The hub is asked with a token that can list every user (unfiltered ``list:users``):
a narrower token sees only some users and would make taken names look free. When the hub
cannot be asked, the command refuses unless ``--skip-hub-check`` says to go on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence

from hubtypes.cli.errors import CliError
from hubtypes.hub.client import HubAPI, HubAPIError

SKIP_FLAG = "--skip-hub-check"
_HOW = (
    f"give --hub-api-url (e.g. http://127.0.0.1:8081/hub/api) and a --token that can list "
    f"every hub user (scope list:users), or {SKIP_FLAG} to create the accounts without "
    "asking (only when no hub user can have these names, e.g. before the hub first starts)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hub-api-url",
        default=os.environ.get("JUPYTERHUB_API_URL") or None,
        help="the hub's REST API, asked which names are already hub users before codes "
        "are made for them (default: $JUPYTERHUB_API_URL; the token is --token)",
    )
    parser.add_argument(
        SKIP_FLAG,
        action="store_true",
        help="create accounts without asking the hub whether it has users of those names "
        "(a hub user of such a name would be taken over by whoever gets the code)",
    )


async def _taken(api_url: str, token: str, filter_prefix: str) -> set[str]:
    hub = HubAPI(api_url, token, max_retries=2, timeout=30)
    try:
        me = await hub.get("/user")
        if "list:users" not in (me.get("scopes") or []):
            raise CliError(f"the token cannot list every hub user (no list:users scope); {_HOW}")
        return {u["name"] async for u in hub.users_with_prefix(filter_prefix)}
    except HubAPIError as e:
        raise CliError(
            f"cannot ask the hub at {api_url} which names it has ({e}); {_HOW}"
        ) from None
    finally:
        hub.close()


def hub_users(args: argparse.Namespace, filter_prefix: str) -> set[str] | None:
    """Hub users whose names start with ``filter_prefix``; None with ``--skip-hub-check``."""
    if args.skip_hub_check:
        return None
    if not args.hub_api_url or not args.token:
        raise CliError(f"cannot ask the hub which names it already has; {_HOW}")
    return asyncio.run(_taken(args.hub_api_url, args.token, filter_prefix))


async def _admins(api_url: str, token: str, names: Sequence[str]) -> set[str]:
    hub = HubAPI(api_url, token, max_retries=2, timeout=30)
    try:
        models = await hub.users_named(names)
        return {name for name, model in models.items() if model.get("admin")}
    except HubAPIError as e:
        raise CliError(f"cannot ask the hub at {api_url} which of them are admins ({e})") from None
    finally:
        hub.close()


def hub_admins(args: argparse.Namespace, names: Sequence[str]) -> set[str] | None:
    """Which of ``names`` are the hub's admins; None when the hub is not given to ask."""
    if not args.hub_api_url or not args.token or not names:
        return None
    return asyncio.run(_admins(args.hub_api_url, args.token, names))


def common_prefix(names: Sequence[str]) -> str:
    return os.path.commonprefix(list(names))
