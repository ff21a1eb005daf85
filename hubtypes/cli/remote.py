"""The ``hubtypes`` command's REST route: the workshop service's JSON API, with a hub token.

An instructor (or an admin) runs ``hubtypes ... --hub-url URL --token TOKEN`` with
their own hub API token; the command calls ``{hub_url}services/workshop/api/``
through the hub's proxy (docs/openapi.yaml) and prints what the direct-database
route prints. The service authorizes every call, so an instructor reaches only
the workshops they instruct. The token travels in the Authorization header only
and is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from typing import Any

from hubtypes.cli.errors import CliError
from hubtypes.cli.output import print_credentials, print_table
from hubtypes.clock import human
from hubtypes.hub.client import HubAPI, HubAPIError, Response, quote_name
from hubtypes.inputs import check_names_or_count, split_names
from hubtypes.services.workshop.hub_config import SERVICE_NAME

# every error status comes back as a Response; only 599 (no connection) raises
_ERRORS = range(400, 599)


def service_api_url(hub_url: str) -> str:
    """The workshop service's API behind the hub's proxy, e.g. https://hub/services/workshop/api."""
    return hub_url.rstrip("/") + f"/services/{SERVICE_NAME}/api"


class Service:
    """One command's calls to the workshop service; errors become :class:`CliError`."""

    def __init__(self, args: argparse.Namespace) -> None:
        if not args.token:
            raise CliError("--token: give your hub API token (or set $JUPYTERHUB_API_TOKEN)")
        self.url = service_api_url(args.hub_url)
        self._token = args.token
        if args.command == "workshop":
            self.forbidden = (
                "only workshop admins may create workshops"
                if args.action == "create"
                else "you instruct no workshop"
            )
        else:
            self.forbidden = f"you do not instruct workshop {args.workshop!r}"

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        api = HubAPI(self.url, self._token, max_retries=2)
        try:
            resp = await api.request(method, path, body, ok=_ERRORS)
        except HubAPIError as e:  # 599: timeout, or connection trouble that persisted
            raise CliError(self._unreachable(e.message)) from None
        finally:
            api.close()
        if resp.status >= 400:
            raise CliError(self._error(resp))
        try:
            return resp.json()
        except ValueError:
            raise CliError(f"{self.url} did not answer like the workshop service") from None

    def _unreachable(self, why: str) -> str:
        return f"cannot reach the workshop service at {self.url}: {why}"

    def _error(self, resp: Response) -> str:
        if resp.status == 401:
            return "the token is not valid for the workshop service"
        try:
            data = resp.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or "message" not in data:
            # not the service's JSON: the proxy or the hub answered
            hint = " (--hub-url is the hub's public URL, e.g. https://hub.example.org/)"
            return f"the workshop service at {self.url} answered {resp.status}" + (
                hint if resp.status == 404 else ""
            )
        if resp.status == 403:
            return self.forbidden
        field = data.get("field")
        if field and field != "body":
            return f"--{str(field).replace('_', '-')}: {data['message']}"
        return str(data["message"])


def run(args: argparse.Namespace) -> int:
    """Dispatch one of the workshop and accounts subcommands to the service."""
    service = Service(args)
    if args.command == "workshop" and args.action == "create":
        return workshop_create(service, args)
    if args.command == "workshop" and args.action == "reopen":
        return workshop_reopen(service, args)
    if args.command == "workshop":
        return workshop_list(service)
    if args.action == "create":
        return accounts_create(service, args)
    return accounts_list(service, args)


def _when(value: str | None, default: str = "") -> str:
    return human(datetime.fromisoformat(value)) if value else default


def workshop_create(service: Service, args: argparse.Namespace) -> int:
    body = {
        "slug": args.slug,
        "title": args.title,
        "starts": args.starts,
        "ends": args.ends,
        "delete_after": args.delete_after,
    }
    w = asyncio.run(service.call("POST", "/workshops", body))
    print(
        f"workshop {w['slug']!r} ({w['title']}): opens {_when(w['starts_at'])}, "
        f"locks {_when(w['ends_at'])}, purged after {_when(w['delete_after'])}"
    )
    return 0


def workshop_reopen(service: Service, args: argparse.Namespace) -> int:
    body = {k: v for k, v in _reopen_body(args).items() if v is not None}
    w = asyncio.run(service.call("POST", f"/workshops/{quote_name(args.slug)}/reopen", body))
    print(
        f"workshop {w['slug']!r} reopened: locks {_when(w['ends_at'])}, "
        f"purged after {_when(w['delete_after'])}"
    )
    return 0


def _reopen_body(args: argparse.Namespace) -> dict[str, str | None]:
    return {
        "title": args.title,
        "starts": args.starts,
        "ends": args.ends,
        "delete_after": args.delete_after,
    }


def workshop_list(service: Service) -> int:
    data = asyncio.run(service.call("GET", "/workshops"))
    rows = [
        [
            w["slug"],
            w["title"],
            _when(w["starts_at"]),
            _when(w["ends_at"]),
            _when(w["delete_after"]),
            str(sum((w.get("counts") or {}).values())),
        ]
        for w in data["workshops"]
    ]
    print_table(["slug", "title", "opens", "locks", "purge", "accounts"], rows, sys.stdout)
    return 0


def _require_workshop(args: argparse.Namespace) -> str:
    if not args.workshop:
        raise CliError("--workshop: give --workshop SLUG (with --hub-url, accounts belong to one)")
    return str(args.workshop)


def accounts_create(service: Service, args: argparse.Namespace) -> int:
    slug = _require_workshop(args)
    given = split_names(args.usernames)
    count = check_names_or_count(given, args.count)
    body: dict[str, Any] = {"role": args.role}
    if given:
        body["usernames"] = given
    else:
        body["count"] = count
    if args.prefix is not None:
        body["prefix"] = args.prefix
    if args.expires:
        body["expires"] = args.expires
    data = asyncio.run(service.call("POST", f"/workshops/{quote_name(slug)}/accounts", body))
    credentials = data["credentials"]
    print_credentials(credentials, args.format, sys.stdout)
    print(
        f"created {len(credentials)} {args.role} account(s); the codes are shown only once",
        file=sys.stderr,
    )
    return 0


def accounts_list(service: Service, args: argparse.Namespace) -> int:
    slug = _require_workshop(args)
    data = asyncio.run(service.call("GET", f"/workshops/{quote_name(slug)}/accounts"))
    rows = [
        [
            a["username"],
            a["role"],
            a["status"],
            _when(a["last_login_at"], "never"),
            _when(a["expires_at"]),
        ]
        for a in data["accounts"]
    ]
    print_table(["username", "role", "status", "last login", "own expiry"], rows, sys.stdout)
    return 0
