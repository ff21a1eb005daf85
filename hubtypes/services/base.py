"""HubServiceApp: what every hubtypes managed service shares.

A JupyterHub managed service is a process the hub starts, passing it where the hub's
API is, a token and the URL the proxy routes to it (``$JUPYTERHUB_API_URL``,
``$JUPYTERHUB_API_TOKEN``, ``$JUPYTERHUB_SERVICE_URL``, ``$JUPYTERHUB_SERVICE_PREFIX``).
This base reads those, logs like the hub does (JupyterHub's formatter, timestamps, INFO by
default; hubtypes' module loggers and tornado's go to the same handler), stops cleanly on
SIGTERM and SIGINT, runs periodic passes that survive a hub restart, and writes a commented
config file with ``--generate-config`` — asking before it overwrites one, like ``jupyterhub``.

Subclasses implement :meth:`HubServiceApp.serve`, awaited until ``stop`` is set.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

from jupyterhub.log import CoroutineLogFormatter
from tornado.httpserver import HTTPServer
from tornado.web import Application as TornadoApplication
from traitlets import Bool, Unicode, default
from traitlets.config import Application

from hubtypes._version import __version__
from hubtypes.db.database import HubTypesDatabase

# the hub's own log line: "[I 2026-12-02 10:00:00.123 name module:42] message"
HUB_LOG_FORMAT = (
    "%(color)s[%(levelname)1.1s %(asctime)s.%(msecs).03d %(name)s %(module)s:%(lineno)d]"
    "%(end_color)s %(message)s"
)


class HubServiceApp(Application):
    """Base of hubtypes' managed services (configured as ``c.HubServiceApp.<trait>``)."""

    version = __version__
    # hubtypes' database: every service opens it (c.HubTypesDatabase.url, --db-url)
    classes = [HubTypesDatabase]
    base_aliases = {
        "config": "HubServiceApp.config_file",
        "db-url": "HubTypesDatabase.url",
        "ip": "HubServiceApp.ip",
        "log-level": "Application.log_level",
    }
    base_flags = {
        "generate-config": (
            {"HubServiceApp": {"generate_config": True}},
            "Write a config file with every option, commented, and exit.",
        ),
        "y": (
            {"HubServiceApp": {"answer_yes": True}},
            "Answer yes to any question (with --generate-config: overwrite the file).",
        ),
        "debug": ({"Application": {"log_level": logging.DEBUG}}, "Log at DEBUG level."),
    }

    config_file = Unicode(
        help="""Config file (Python, ``c.<Class>.<trait> = ...``) loaded at start if it
        exists, and written by ``--generate-config``. Default: ``{name}_config.py`` in the
        working directory, e.g. ``hubtypes_workshop_config.py``.""",
    ).tag(config=True)

    @default("config_file")
    def _default_config_file(self) -> str:
        return f"{self.name.replace('-', '_').removesuffix('_service')}_config.py"

    generate_config = Bool(
        False, help="Write `config_file` with every option and its help, commented, then exit."
    ).tag(config=True)
    answer_yes = Bool(
        False,
        help="""Answer yes to questions instead of asking: with ``--generate-config``,
        overwrite an existing config file. Default: ask (and refuse when nobody can answer).""",
    ).tag(config=True)

    hub_api_url = Unicode(
        help="""The hub's REST API. Default: ``$JUPYTERHUB_API_URL`` (set by the hub for a
        managed service), else ``http://127.0.0.1:8081/hub/api``.""",
    ).tag(config=True)

    @default("hub_api_url")
    def _default_hub_api_url(self) -> str:
        return os.environ.get("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api")

    api_token = Unicode(
        help="""The service's hub API token. Default: ``$JUPYTERHUB_API_TOKEN``. Never logged.""",
    ).tag(config=True)

    @default("api_token")
    def _default_api_token(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    service_url = Unicode(
        help="""The URL the hub's proxy sends this service's requests to, e.g.
        ``http://127.0.0.1:10101`` or, on Kubernetes, ``http://hub:10101``. Its port is
        where the service listens. Default: ``$JUPYTERHUB_SERVICE_URL``.""",
    ).tag(config=True)

    @default("service_url")
    def _default_service_url(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101")

    ip = Unicode(
        help="""Address to listen on. Default: the host of `service_url` when it is an
        address (``127.0.0.1``); set ``0.0.0.0`` where the proxy runs elsewhere and reaches
        the service by a name (Zero-to-JupyterHub: ``url: http://hub:PORT``).""",
    ).tag(config=True)

    service_prefix = Unicode(
        help="""URL prefix the proxy routes to the service, e.g. ``/services/workshop/``.
        Default: ``$JUPYTERHUB_SERVICE_PREFIX``.""",
    ).tag(config=True)

    @default("service_prefix")
    def _default_service_prefix(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{self.service_name}/")

    hub_prefix = Unicode(
        help="""The hub's URL prefix, for links and the hub's static files. Default:
        ``$JUPYTERHUB_BASE_URL`` + ``hub/``, e.g. ``/hub/``.""",
    ).tag(config=True)

    @default("hub_prefix")
    def _default_hub_prefix(self) -> str:
        return os.environ.get("JUPYTERHUB_BASE_URL", "/").rstrip("/") + "/hub/"

    public_url = Unicode(
        help="""The hub's public URL, e.g. ``https://hub.example.org/``, for links people
        copy (printed cards). Default: ``$JUPYTERHUB_PUBLIC_URL``, else the URL a page was
        requested at.""",
    ).tag(config=True)

    @default("public_url")
    def _default_public_url(self) -> str:
        return os.environ.get("JUPYTERHUB_PUBLIC_URL", "")

    # the service's name in the hub (``c.JupyterHub.services``), for default URLs
    service_name = "service"

    @default("log_level")
    def _default_log_level(self) -> int:
        return logging.INFO

    @default("log_datefmt")
    def _default_log_datefmt(self) -> str:
        return "%Y-%m-%d %H:%M:%S"

    @default("log_format")
    def _default_log_format(self) -> str:
        return HUB_LOG_FORMAT

    _log_formatter_cls = CoroutineLogFormatter  # the hub's own, with colour and time

    # --- start-up ---------------------------------------------------------------------

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        self._route_logs()
        if self.generate_config:
            return
        if os.path.exists(self.config_file):
            self.load_config_file(self.config_file)
            self.update_config(self.cli_config)  # the command line wins
        self.log.info(f"{self.name} {self.version}")

    def _route_logs(self) -> None:
        """hubtypes' and tornado's loggers write through this app's handler, once."""
        self.log.propagate = False
        for name in ("hubtypes", "tornado"):
            logger = logging.getLogger(name)
            logger.parent = self.log
            logger.propagate = True
            logger.setLevel(int(self.log_level))  # type: ignore[call-overload,unused-ignore]

    def start(self) -> None:
        if self.generate_config:
            self.write_config_file()
            return
        if not self.api_token:
            self.log.critical(
                "No hub API token: run as a JupyterHub managed service (it sets "
                "$JUPYTERHUB_API_TOKEN) or set c.HubServiceApp.api_token"
            )
            self.exit(1)
        asyncio.run(self._main())

    async def _main(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.serve(stop)
        self.log.info(f"{self.name} stopped")

    async def serve(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set (subclasses)."""
        raise NotImplementedError

    def listen(self, app: TornadoApplication) -> HTTPServer:
        """Serve ``app`` on `ip` (or `service_url`'s host) and `service_url`'s port."""
        url = urlparse(self.service_url)
        host = self.ip or url.hostname or "127.0.0.1"
        port = url.port or (443 if url.scheme == "https" else 80)
        server = HTTPServer(app, xheaders=True)
        server.listen(port, host)
        self.log.info(f"{self.name} listening on {host}:{port}, routed as {self.service_url}")
        return server

    async def every(
        self, interval: float, work: Callable[[], Awaitable[Any]], stop: asyncio.Event, what: str
    ) -> None:
        """Run ``work`` now and then every ``interval`` seconds until ``stop``.

        A failing pass (the hub restarting, say) is logged and tried again next time.
        """
        while not stop.is_set():
            try:
                await work()
            except Exception as e:
                self.log.warning(f"{what} failed, trying again in {interval:.0f} s: {e}")
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except asyncio.TimeoutError:
                pass

    # --- --generate-config ------------------------------------------------------------

    def write_config_file(self) -> None:
        """Write `config_file`; an existing one only with ``-y`` or a typed yes."""
        path = self.config_file
        if os.path.exists(path) and not self.answer_yes and not _confirm(path):
            print(f"{path} exists and was left as it is; use -y to overwrite it", file=sys.stderr)
            self.exit(1)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.generate_config_file())
        print(f"Wrote {path}")


def _confirm(path: str) -> bool:
    """Ask on the terminal; no terminal (or end of input) is a no."""
    if not sys.stdin or not sys.stdin.isatty():
        return False
    while True:
        try:
            answer = input(f"Overwrite {path} with the default config? [y/N] ").strip().lower()
        except (EOFError, KeyboardInterrupt):
            print()
            return False
        if answer in ("", "n", "no"):
            return False
        if answer in ("y", "yes"):
            return True
        print("Please answer yes or no.")


__all__ = ["HUB_LOG_FORMAT", "HubServiceApp"]
