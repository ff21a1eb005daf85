"""HubTypeSpawnerMixin: per-hub-type homes, materials and shared folders for any spawner.

Put it first in the bases, before the spawner class it extends::

    class MySpawner(HubTypeSpawnerMixin, KubeSpawner): ...

It is a ``LoggingConfigurable``, not a ``Spawner`` (``Spawner.__init_subclass__``
rejects classes without start/stop/poll), and every override calls ``super()``.
The decisions (hub type, paths, environment) come from the pure modules
:mod:`hubtypes.storage.hub_types` and :mod:`hubtypes.storage.mounts`; one storage backend per
spawner family (:mod:`.storage.local`, :mod:`.storage.kube`, :mod:`.storage.docker`),
named by each ready-made class's ``storage_backend``, applies them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from jupyterhub.utils import maybe_future
from sqlalchemy.exc import SQLAlchemyError
from tornado import web
from traitlets import Bool, CaselessStrEnum, Dict, TraitError, Unicode, validate
from traitlets.config import LoggingConfigurable

from hubtypes.clock import Clock, utcnow
from hubtypes.db.engine import DatabaseError
from hubtypes.records import AccountView
from hubtypes.spawner.grants import grant_account, owns_home
from hubtypes.spawner.stopping import prepare_stop, remove_ephemeral_home
from hubtypes.spawner.storage import named_backend
from hubtypes.spawner.storage.archiving import HubTypesArchiving
from hubtypes.spawner.storage.base import StorageBackend
from hubtypes.spawner.storage.local import LocalStorage
from hubtypes.storage.hub_types import (
    DEFAULT_POLICIES,
    HubType,
    Resolution,
    ResolverConfig,
    SpawnRefused,
    StorageAction,
    apply_overrides,
    resolve,
    spawn_environment,
)
from hubtypes.storage.mounts import (
    Layout,
    Mount,
    own_home,
    plan_mounts,
    progress_messages,
    server_root,
    upgraded_state,
)

DATABASE_UNAVAILABLE = "The hub's workshop database is unavailable; try again shortly."


class HubTypeSpawnerMixin(LoggingConfigurable):
    """Gives each user the storage their hub type calls for. Configure as
    ``c.HubTypeSpawnerMixin.<trait>``; it applies to every hubtypes spawner class."""

    default_hub_type = CaselessStrEnum(
        [t.value for t in HubType],
        default_value="community",
        help="""The hub's own type: ``community`` (the default), ``workshop`` or ``binder``.
        A user who belongs to a workshop in hubtypes' database is always a workshop user,
        whatever this says, so a community hub can host a workshop. E.g.
        ``c.HubTypeSpawnerMixin.default_hub_type = "workshop"``.""",
    ).tag(config=True)

    unassigned_hub_type = CaselessStrEnum(
        ["community", "binder", "refuse"],
        default_value="community",
        help="""On a hub whose default type is workshop: what users who belong to no
        workshop (typically the hub's own admins) get. ``community`` keeps their home
        under ``community/`` (which a workshop reset never touches; the default),
        ``binder`` gives a throw-away home, ``refuse`` refuses to start a server for them.
        Ignored on community and binder hubs.""",
    ).tag(config=True)

    policy_overrides = Dict(
        help="""Per-hub-type changes to the built-in storage policies, e.g.
        ``{"community": {"on_delete": "archive"}, "workshop": {"shared": False}}``.
        Fields: ``materials`` and ``shared`` (bool: mount the workshop folders),
        ``on_stop`` (keep/delete; not delete for workshop; a home deleted on stop is one per
        server, ``{type}/{user}/{server}``), ``on_delete`` (keep/archive/delete, applied when
        the hub deletes the user or named server), ``environment`` (dict of extra
        variables). Defaults: community keeps everything; workshop mounts materials
        and shared and archives then deletes the home on deletion; binder deletes
        the home when the server stops. Checked when the hub starts: a mistake stops it
        with a message naming this option.""",
    ).tag(config=True)

    storage_root = Unicode(
        "/srv/hubtypes",
        help="""Directory that holds every home, materials and shared folder, as seen
        by the hub process (local and Docker spawners). Layout:
        ``community/{user}``, ``binder/{user}/{server}``, ``workshops/{workshop}/{user}``,
        ``workshops/{workshop}/_materials``, ``workshops/{workshop}/_shared``.
        Nothing outside it is ever created or deleted. Default ``/srv/hubtypes``; on
        Kubernetes the same layout lives on ``kube_shared_volume``.""",
    ).tag(config=True)

    archive_root = Unicode(
        "",
        help="""Where archives (``.tar.gz`` plus ``.manifest.json``) of deleted homes go,
        for policies whose ``on_delete`` is ``archive``. Default:
        ``{storage_root}/_archive``; e.g. ``/srv/hubtypes-archive`` to keep archives
        out of the storage root. On Kubernetes see ``kube_archive_volume``.""",
    ).tag(config=True)

    home_mount_path = Unicode(
        "/home/jovyan",
        help="""Where the home is mounted inside a container or pod (Docker, Kubernetes).
        Materials and shared folders appear inside it. Local spawners ignore this:
        their home *is* the directory under ``storage_root``. Default ``/home/jovyan``
        (the Jupyter Docker stacks' user).""",
    ).tag(config=True)

    materials_dir_name = Unicode(
        "materials",
        help="""Name of the workshop materials folder inside a workshop user's home
        (read-only for participants, writable for instructors). Default ``materials``.""",
    ).tag(config=True)

    shared_dir_name = Unicode(
        "shared",
        help="""Name of the workshop's shared folder inside a workshop user's home
        (read-write for everyone in the workshop). Default ``shared``.""",
    ).tag(config=True)

    read_only_contents_guard = Bool(
        True,
        help="""Local spawners only: run the single-user server with a contents manager
        that refuses writes to read-only folders (materials, for participants). This
        is what makes materials read-only through the Jupyter UI on
        SimpleLocalProcessSpawner, where every server runs as the hub's own user;
        code run in a kernel or terminal is not stopped by it (see the docs).
        Default True.""",
    ).tag(config=True)

    backend = CaselessStrEnum(
        ["auto", "local", "system-users", "kube", "docker"],
        default_value="auto",
        help="""Which storage backend applies the mounts. ``auto`` (the default) uses the
        one the spawner class names: local directories for the local spawners, volumes for
        Docker, PVCs or subPaths for Kubernetes. Set it only for your own class that
        combines the mixin with a spawner of one of those families, e.g. ``"docker"`` for
        a DockerSpawner subclass (``system-users``: local directories owned by system
        users, as for LocalProcessSpawner).""",
    ).tag(config=True)

    # the backend of the spawner family this class is for (each ready-made class sets it)
    storage_backend: StorageBackend = LocalStorage(system_users=False)

    @validate("policy_overrides")
    def _check_policy_overrides(self, proposal: Any) -> dict[str, Any]:
        try:
            apply_overrides(DEFAULT_POLICIES, proposal["value"])
        except ValueError as e:
            raise TraitError(f"c.HubTypeSpawnerMixin.policy_overrides: {e}") from None
        return dict(proposal["value"])

    # set by start(), kept in the spawner's state: where this server's storage lives
    hubtypes_resolution: Resolution | None = None
    hubtypes_mounts: tuple[Mount, ...] = ()
    hubtypes_clock: Clock = staticmethod(utcnow)  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hubtypes_stored: dict[str, str] = {}
        self._hubtypes_events: list[dict[str, Any]] = []
        self._hubtypes_ready = asyncio.Event()
        self._hubtypes_event_done = False
        self._hubtypes_applied_root: str | None = None
        self._hubtypes_configured_root = ""
        HubTypesArchiving(parent=self)  # a bad archive limit stops the hub at start-up

    # ----- configuration -> pure inputs -----

    def hubtypes_resolver_config(self) -> ResolverConfig:
        return ResolverConfig(
            default_type=HubType(self.default_hub_type.lower()),
            unassigned=self.unassigned_hub_type.lower(),
            policies=apply_overrides(DEFAULT_POLICIES, self.policy_overrides),
        )

    def hubtypes_server_root(self, home: str) -> str:
        """Where the server starts: ``notebook_dir`` as the operator or user set it, in ``home``.

        The value this mixin set at an earlier start is not mistaken for the operator's.
        """
        current = self.notebook_dir  # type: ignore[attr-defined]
        if current == self._hubtypes_applied_root:
            current = self._hubtypes_configured_root
        else:
            self._hubtypes_configured_root = current
        try:
            root = server_root(current, home)
        except ValueError as e:
            self.log.warning(f"hubtypes: {e}; the server starts in the home instead")
            root = home
        self._hubtypes_applied_root = root
        return root

    def hubtypes_layout(self) -> Layout:
        return Layout(self.home_mount_path, self.materials_dir_name, self.shared_dir_name)

    @property
    def hubtypes_archive_root(self) -> str:
        return self.archive_root or os.path.join(self.storage_root, "_archive")

    def hubtypes_backend(self) -> StorageBackend:
        """The storage backend: the class's own, unless `backend` names another."""
        name = self.backend.lower()
        if name == "auto":
            return self.storage_backend
        return named_backend(name)

    # ----- who is this user? -----

    async def lookup_account(self, username: str) -> AccountView | None:
        """The user's hubtypes account (with its workshop), or None if hubtypes
        does not know them. Runs the query in a thread: the hub's event loop must
        never wait for a database."""
        from hubtypes.db.database import HubTypesDatabase
        from hubtypes.db.queries.accounts import account_view  # type: ignore[import-not-found,unused-ignore]

        config_holder = HubTypesDatabase(parent=self)
        server_name = getattr(self, "name", "") or ""

        def query() -> AccountView | None:
            with config_holder.connect().session() as session:
                result: AccountView | None = account_view(session, username)
                if result is None:  # a workshop grant: which server is the workshop's
                    result = grant_account(session, username, server_name)
                return result

        return await asyncio.to_thread(query)

    async def hubtypes_resolve(self, *, check_access: bool = True) -> Resolution:
        account = await self.lookup_account(self.user.name)  # type: ignore[attr-defined]
        return resolve(
            self.hubtypes_resolver_config(),
            self.user.name,  # type: ignore[attr-defined]
            account,
            self.hubtypes_clock(),
            check_access=check_access,
        )

    # ----- spawn -----

    def _hubtypes_event(self, progress: int, message: str) -> None:
        self._hubtypes_events.append({"progress": progress, "message": message})
        self._hubtypes_ready.set()
        self._hubtypes_ready = asyncio.Event()

    async def hubtypes_prepare(self) -> tuple[Mount, ...]:
        """Resolve the user's hub type and get their storage ready; returns the mounts."""
        self._hubtypes_events = []
        try:
            res = await self.hubtypes_resolve()
        except SpawnRefused as e:
            raise web.HTTPError(403, str(e)) from None
        except (SQLAlchemyError, DatabaseError) as e:
            # the person gets a sentence; the operator gets the cause
            self.log.error(f"hubtypes: cannot read {self.user.name}'s account: {e}")  # type: ignore[attr-defined]
            raise web.HTTPError(503, DATABASE_UNAVAILABLE) from None
        mounts = plan_mounts(res, self.hubtypes_layout(), self.name)  # type: ignore[attr-defined]
        self.hubtypes_resolution, self.hubtypes_mounts = res, mounts
        self._hubtypes_stored = {
            "type": res.hub_type.value,
            "home": mounts[0].subpath,
            "workshop": res.workshop_dir,
            "user": res.user_dir,
        }
        for progress, message in progress_messages(res, mounts):
            self._hubtypes_event(progress, message)
        await self.hubtypes_backend().prepare(self, res, mounts)
        self.log.info(
            "hubtypes: %s is a %s user (%s)",
            self.user.name,  # type: ignore[attr-defined]
            res.hub_type.value,
            ", ".join(f"{m.kind}={m.subpath}{' ro' if m.read_only else ''}" for m in mounts),
        )
        return mounts

    async def start(self) -> Any:
        self._hubtypes_event_done = False
        try:
            await self.hubtypes_prepare()
        finally:
            self._hubtypes_event_done = True
            self._hubtypes_ready.set()
        return await super().start()  # type: ignore[misc]

    async def progress(self) -> AsyncIterator[dict[str, Any]]:
        # our events first (they are produced before the wrapped spawner starts),
        # then everything the wrapped spawner reports, unchanged
        sent = 0
        while True:
            while sent < len(self._hubtypes_events):
                yield self._hubtypes_events[sent]
                sent += 1
            if getattr(self, "_hubtypes_event_done", False):
                break
            await self._hubtypes_ready.wait()
        async with aclosing(super().progress()) as events:  # type: ignore[misc]
            async for event in events:
                yield event

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()  # type: ignore[misc]
        if self.hubtypes_resolution is not None:
            env.update(spawn_environment(self.hubtypes_resolution))
            env.update(self.hubtypes_backend().environment(self, self.hubtypes_mounts))
        return env

    def get_args(self) -> list[str]:
        args: list[str] = list(super().get_args())  # type: ignore[misc]
        if self.hubtypes_resolution is not None:
            args += self.hubtypes_backend().extra_args(self, self.hubtypes_mounts)
        return args

    # ----- state: where the storage lives survives hub restarts and stops -----

    def get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = super().get_state()  # type: ignore[misc]
        if self._hubtypes_stored:
            state["hubtypes"] = dict(self._hubtypes_stored)
        return state

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)  # type: ignore[misc]
        stored = state.get("hubtypes")
        if isinstance(stored, dict):
            # A binder state from before homes per server names `binder/{user}`: all the
            # user's servers then shared it, and it holds the newer servers' homes. Deleting
            # it (even only when it holds no other server's folder: an old sibling shares it
            # without a trace) can take a running server's files; this server's own path
            # never can. The old session's files stay there for an operator to remove.
            stored = {str(k): str(v) for k, v in stored.items()}
            self._hubtypes_stored = upgraded_state(stored, getattr(self, "name", "") or "")

    # clear_state (called on stop) is deliberately not overridden: the location of
    # the storage is not running-server state, and delete_forever needs it later.

    # ----- storage lifecycle -----

    def _policies(self) -> dict[HubType, Any]:
        return apply_overrides(DEFAULT_POLICIES, self.policy_overrides)

    async def _stored_home(self) -> dict[str, str]:
        """Where this user's home is: from state if it ever started, else resolved now."""
        if self._hubtypes_stored:
            return dict(self._hubtypes_stored)
        res = await self.hubtypes_resolve(check_access=False)
        mounts = plan_mounts(res, self.hubtypes_layout(), self.name)  # type: ignore[attr-defined]
        return {
            "type": res.hub_type.value,
            "home": mounts[0].subpath,
            "workshop": res.workshop_dir,
            "user": res.user_dir,
        }

    async def stop(self, *args: Any, **kwargs: Any) -> Any:
        # as JupyterHub called us (some spawners' stop() takes no `now`), plus now=True when
        # a reset is about to delete the data (hubtypes.spawner.stopping says why)
        stop = super().stop  # type: ignore[misc]
        args, kwargs = await prepare_stop(self, stop, args, kwargs)
        result = await maybe_future(stop(*args, **kwargs))
        await remove_ephemeral_home(self, self._hubtypes_stored)
        return result

    async def delete_forever(self) -> None:
        stored = await self._stored_home()
        action = self._policies()[HubType(stored["type"])].on_delete
        name = self.name  # type: ignore[attr-defined]
        if name and not owns_home(stored, name) and stored["home"] != own_home(stored, name):
            # named servers share the user's home (unless it is one per server, as binder's);
            # only deleting the user removes it
            action = StorageAction.keep
        self.log.info(
            "hubtypes: %s storage of %s on deletion: %s",
            stored["type"],
            self.user.name,  # type: ignore[attr-defined]
            action.value,
        )
        await self.hubtypes_backend().remove_home(self, stored, action)
        await maybe_future(super().delete_forever())  # type: ignore[misc]


__all__ = ["HubTypeSpawnerMixin"]
