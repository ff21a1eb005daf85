"""The workshop service: a traitlets Application serving pages and a JSON API.

Run by the hub as a managed service (see ``jupyterhub_config.d/30-hubtypes-workshop-service.py``),
or by hand: ``python -m hubtypes.services.workshop`` / ``hubtypes-workshop-service``;
``--generate-config`` writes a commented config file.
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any
from urllib.parse import urlparse

from tornado import web
from tornado.httpserver import HTTPServer
from tornado.log import access_log
from traitlets import Any as AnyTrait
from traitlets import Bool, Float, Integer, List, Unicode, default
from traitlets.config import Application

from hubtypes._version import __version__
from hubtypes.clock import utcnow
from hubtypes.db.engine import HubTypesDatabase
from hubtypes.hub.client import HubAPI
from hubtypes.services.workshop.operations import GroupNames, Ops
from hubtypes.services.workshop.resets import Runner


class WorkshopService(Application):
    """Instructors create time-bound accounts; admins preview and run workshop resets."""

    name = "hubtypes-workshop-service"
    version = __version__
    description = __doc__ or ""
    classes = [HubTypesDatabase]
    aliases = {
        "config": "WorkshopService.config_file",
        "db-url": "HubTypesDatabase.url",
        "interval": "WorkshopService.lifecycle_interval",
    }
    flags = {
        "generate-config": (
            {"WorkshopService": {"generate_config": True}},
            "Write a config file with every option, commented, and exit.",
        ),
    }

    config_file = Unicode(
        "hubtypes_workshop_config.py", help="Config file to load if it exists."
    ).tag(config=True)
    generate_config = Bool(False, help="Write `config_file` with defaults and exit.").tag(
        config=True
    )
    hub_api_url = Unicode(
        help="The hub's REST API, e.g. http://127.0.0.1:8081/hub/api ($JUPYTERHUB_API_URL)."
    ).tag(config=True)

    @default("hub_api_url")
    def _hub_api_url(self) -> str:
        return os.environ.get("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api")

    api_token = Unicode(
        help="The service's hub API token ($JUPYTERHUB_API_TOKEN); never logged."
    ).tag(config=True)

    @default("api_token")
    def _api_token(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    service_prefix = Unicode(
        help="URL prefix the proxy routes to the service ($JUPYTERHUB_SERVICE_PREFIX)."
    ).tag(config=True)

    @default("service_prefix")
    def _service_prefix(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/workshop/")

    service_url = Unicode(
        help="Where the service listens, e.g. http://127.0.0.1:10101 ($JUPYTERHUB_SERVICE_URL)."
    ).tag(config=True)

    @default("service_url")
    def _service_url(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101")

    hub_prefix = Unicode(
        help="The hub's URL prefix, for links and its static files (default: $JUPYTERHUB_BASE_URL"
        " + 'hub/')."
    ).tag(config=True)

    @default("hub_prefix")
    def _hub_prefix(self) -> str:
        return os.environ.get("JUPYTERHUB_BASE_URL", "/").rstrip("/") + "/hub/"

    public_url = Unicode(
        help="""The hub's public URL printed on participants' cards
        ($JUPYTERHUB_PUBLIC_URL; default: the URL the page was requested at)."""
    ).tag(config=True)

    @default("public_url")
    def _public_url(self) -> str:
        return os.environ.get("JUPYTERHUB_PUBLIC_URL", "")

    lifecycle_interval = Float(
        60.0,
        help="""Seconds between lifecycle passes (lock expired accounts, purge workshops
        past their purge date, mirror workshops in their groups' properties). A pass
        also runs at start, catching up on dates that passed while the service was down.""",
    ).tag(config=True)
    concurrency = Integer(
        8,
        help="""Hub API requests a reset or lock makes at once. The hub does the work on
        one event loop, so more rarely helps; 429 answers are retried after Retry-After.""",
    ).tag(config=True)
    stop_concurrency = Integer(
        64,
        help="""Servers a reset or lock stops at once. Stopping is mostly waiting for
        processes or pods to exit, so this can be much higher than `concurrency`.""",
    ).tag(config=True)
    stop_timeout = Float(
        120.0, help="Seconds to wait for a user's servers to stop before a reset fails."
    ).tag(config=True)
    storage_root = Unicode(
        "",
        help="""Local storage root of the spawner mixin (``c.HubTypeSpawnerMixin``'s root),
        needed only to remove a workshop's materials and shared folders when a reset is
        asked to. Homes are removed by the hub (the spawner's ``delete_forever``).""",
    ).tag(config=True)
    purge_includes_instructors = Bool(
        False, help="Whether the automatic purge at the purge date also deletes instructors."
    ).tag(config=True)
    workshop_group = Unicode(
        "workshop-{slug}", help="The workshop's hub group (as WorkshopAuthenticator's)."
    ).tag(config=True)
    instructors_group = Unicode(
        "workshop-{slug}-instructors", help="The instructors' group (as the authenticator's)."
    ).tag(config=True)
    extra_template_paths = List(
        Unicode(),
        help="Directories searched for templates before hubtypes' and the hub's own.",
    ).tag(config=True)
    clock = AnyTrait(utcnow, help="Callable returning the current aware UTC time (tests).")

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        if self.generate_config:
            return
        if os.path.exists(self.config_file):
            self.load_config_file(self.config_file)
            self.update_config(self.cli_config)  # the command line wins

    def build(self) -> tuple[web.Application, Runner]:
        """The tornado application and the runner (no I/O yet)."""
        from jupyterhub.services.auth import HubOAuth

        from hubtypes.services.workshop.templates import make_env
        from hubtypes.services.workshop.web.base import make_handlers

        # the handlers' HubOAuthenticated uses this instance (client id, callback URL
        # and cookie names come from the hub's $JUPYTERHUB_* environment)
        HubOAuth.clear_instance()
        HubOAuth.instance(api_url=self.hub_api_url, api_token=self.api_token, cache_max_age=60)
        db = HubTypesDatabase(parent=self).connect()
        hub = HubAPI(
            self.hub_api_url,
            self.api_token,
            concurrency=self.concurrency,
            max_clients=self.concurrency + self.stop_concurrency + 4,
            timeout=max(60.0, self.stop_timeout),
        )
        ops = Ops(db, hub, self.clock, GroupNames(self.workshop_group, self.instructors_group))
        runner = Runner(
            ops,
            concurrency=self.concurrency,
            stop_concurrency=self.stop_concurrency,
            stop_timeout=self.stop_timeout,
            storage_root=self.storage_root,
            purge_includes_instructors=self.purge_includes_instructors,
        )
        settings: dict[str, Any] = {
            "ops": ops,
            "runner": runner,
            "service": self,
            "jinja": make_env(self.extra_template_paths),
            "cookie_secret": os.urandom(32),
            "xsrf_cookies": False,  # checked by the handlers once the user is known
            "log_function": _log_request,
        }
        return web.Application(make_handlers(self.service_prefix), **settings), runner

    async def _serve(self) -> None:
        app, runner = self.build()
        url = urlparse(self.service_url)
        server = HTTPServer(app, xheaders=True)
        server.listen(url.port or 80, url.hostname or "127.0.0.1")
        self.log.info(f"Workshop service at {self.service_url}{self.service_prefix}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await runner.resume_all()
        ticker = asyncio.create_task(self._lifecycle(runner, stop))
        await stop.wait()
        ticker.cancel()
        server.stop()
        runner.ops.hub.close()

    async def _lifecycle(self, runner: Runner, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                actions = await runner.tick()
                if any(actions.values()):
                    self.log.info(f"Lifecycle: {actions}")
            except Exception as e:  # the hub may be restarting: try again next time
                self.log.warning(f"Lifecycle pass failed: {e}")
            try:
                await asyncio.wait_for(stop.wait(), self.lifecycle_interval)
            except asyncio.TimeoutError:
                pass

    def start(self) -> None:
        if self.generate_config:
            with open(self.config_file, "w") as f:
                f.write(self.generate_config_file())
            print(f"Wrote {self.config_file}")
            return
        if not self.api_token:
            self.log.critical("No hub API token: set $JUPYTERHUB_API_TOKEN or api_token")
            self.exit(1)
        asyncio.run(self._serve())


def _log_request(handler: web.RequestHandler) -> None:
    # never log query strings: a ?token=... must not reach the log
    status = handler.get_status()
    request = handler.request
    message = f"{status} {request.method} {request.path} {1000 * request.request_time():.1f}ms"
    (access_log.warning if status >= 400 else access_log.debug)(message)


def main(argv: list[str] | None = None) -> None:
    WorkshopService.launch_instance(argv)
