"""The mixin around The Littlest JupyterHub's own spawner, ``UserCreatingSpawner``.

TLJH's ``jupyterhub_config.py`` sets ``c.JupyterHub.spawner_class = UserCreatingSpawner``:
a SystemdSpawner whose ``start()`` first creates the system user ``jupyter-<name>`` (and
puts it in TLJH's groups), sets ``username_template`` to that name, and then returns
``SystemdSpawner.start()``, which runs the server as that user in a systemd unit.

hubtypes' storage has to be made *after* that user exists (it owns the home and joins the
workshop's groups) and *before* systemd starts the server (which reads the environment,
the working directory and ``--notebook-dir``). So the class built here puts the storage
step between the two; its method resolution order is::

    HubTypesUserCreatingSpawner → TLJHSpawnerMixin → HubTypeSpawnerMixin
      → UserCreatingSpawner → _StorageAfterUserCreation → SystemdSpawner → Spawner

TLJH's layout:

* workshop homes are ``{storage_root}/workshops/{ws}/{user}``, and binder homes one per
  server, ``{storage_root}/binder/{user}/{server}`` (the default server's ``_default``),
  owned by ``jupyter-<name>``; ``HOME``, the notebook
  directory and systemd's working directory (``user_workingdir``) all point there, and the
  workshop groups (see :mod:`hubtypes.spawner.storage.local`) hold the system users;
* community homes stay TLJH's own ``/home/jupyter-<name>``: switching hubtypes on for an
  existing TLJH hub moves nobody's files, and hubtypes never deletes those homes (TLJH
  never deletes system users either).
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyterhub.utils import maybe_future

from hubtypes.spawner.mixin import HubTypeSpawnerMixin
from hubtypes.spawner.notice import place_dates_notice
from hubtypes.spawner.storage.local import LocalStorage, prepare_local
from hubtypes.storage.hub_types import HubType, Resolution, StorageAction
from hubtypes.storage.mounts import Mount

USER_CREATING_SPAWNER = "UserCreatingSpawner"


def system_account(spawner: Any) -> str:
    """The system user the server runs as, worked out the way SystemdSpawner does it
    (``username_template`` expanded; TLJH's ``start()`` has set it to ``jupyter-<name>``)."""
    template: str = spawner.username_template
    expand = getattr(spawner, "_expand_user_vars", None)
    if callable(expand):
        return str(expand(template))
    return template.format(USERNAME=spawner.user.name, USERID=spawner.user.id)


class TLJHStorage(LocalStorage):
    """Local folders owned by TLJH's ``jupyter-<name>`` system users; community homes are
    TLJH's own (``/home/jupyter-<name>``) and are left alone."""

    def __init__(self) -> None:
        super().__init__(system_users=True)

    async def prepare(self, spawner: Any, res: Resolution, mounts: tuple[Mount, ...]) -> None:
        if res.hub_type == HubType.community:
            # the system user's home, as on any TLJH hub (and what was configured for it)
            spawner.notebook_dir, spawner.user_workingdir = spawner.tljh_configured_dirs
            return
        home = await asyncio.to_thread(
            prepare_local,
            spawner.storage_root,
            res,
            mounts,
            system_users=True,
            system_user=system_account(spawner),
        )
        spawner.notebook_dir = spawner.hubtypes_server_root(home)
        spawner.user_workingdir = home  # SystemdSpawner's WorkingDirectory=
        await place_dates_notice(spawner, res, home)

    def environment(self, spawner: Any, mounts: tuple[Mount, ...]) -> dict[str, str]:
        res = spawner.hubtypes_resolution
        if res is not None and res.hub_type == HubType.community:
            return {}  # SystemdSpawner runs the unit with the system user's own HOME
        return super().environment(spawner, mounts)

    async def remove_home(
        self, spawner: Any, stored: dict[str, str], action: StorageAction
    ) -> None:
        if stored.get("type") == HubType.community.value:
            if action != StorageAction.keep:
                spawner.log.warning(
                    "hubtypes: %s's community home on TLJH is the system user's own home, "
                    "which hubtypes never deletes (policy said %s); remove it by hand if "
                    "you need to",
                    spawner.user.name,
                    action.value,
                )
            return
        await super().remove_home(spawner, stored, action)


class TLJHSpawnerMixin(HubTypeSpawnerMixin):
    """HubTypeSpawnerMixin for TLJH's UserCreatingSpawner (see the module docstring).

    Configure it as ``c.HubTypeSpawnerMixin.<trait>``, like every hubtypes spawner."""

    storage_backend = TLJHStorage()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # what the operator configured, for users whose home is TLJH's own
        spawner: Any = self
        self.tljh_configured_dirs = (spawner.notebook_dir, getattr(self, "user_workingdir", None))

    async def start(self) -> Any:
        # Skips HubTypeSpawnerMixin.start (which prepares the storage first) and runs
        # TLJH's start, which creates the system user; _StorageAfterUserCreation, next in
        # line, then prepares the storage before SystemdSpawner starts the server.
        self._hubtypes_event_done = False
        try:
            return await maybe_future(super(HubTypeSpawnerMixin, self).start())  # type: ignore[misc]
        finally:
            self._hubtypes_event_done = True  # the progress page stops waiting for us
            self._hubtypes_ready.set()


class _StorageAfterUserCreation:
    """Sits between UserCreatingSpawner and SystemdSpawner: prepares the storage once the
    system user exists (the same steps as :meth:`HubTypeSpawnerMixin.start`)."""

    async def start(self) -> Any:
        spawner: Any = self
        try:
            await spawner.hubtypes_prepare()
        finally:
            spawner._hubtypes_event_done = True
            spawner._hubtypes_ready.set()
        return await maybe_future(super().start())  # type: ignore[misc]


_classes: dict[type, type] = {}


def find_user_creating_spawner(spawner_class: Any) -> type | None:
    """TLJH's UserCreatingSpawner in ``spawner_class``'s bases (it may be a subclass),
    or None. Found by name: hubtypes does not import TLJH."""
    if not isinstance(spawner_class, type):
        return None
    for klass in spawner_class.__mro__:
        if klass.__name__ == USER_CREATING_SPAWNER:
            return klass
    return None


def tljh_spawner_class(spawner_class: Any) -> type:
    """``spawner_class`` (TLJH's UserCreatingSpawner or a subclass) with hubtypes' storage.

    Built once per class, so every call (TLJH's config is loaded once per hub start, tests
    call it more often) returns the same class. Raises ValueError for any other class."""
    if spawner_class in _classes:
        return _classes[spawner_class]
    if isinstance(spawner_class, type) and issubclass(spawner_class, TLJHSpawnerMixin):
        return spawner_class  # already wrapped
    ucs = find_user_creating_spawner(spawner_class)
    if ucs is None:
        raise ValueError(f"{spawner_class!r} is not TLJH's {USER_CREATING_SPAWNER}")
    name = f"HubTypes{spawner_class.__name__}"
    bases: tuple[type, ...] = (
        TLJHSpawnerMixin,
        spawner_class,
        _StorageAfterUserCreation,
        *ucs.__bases__,
    )
    doc = f"{spawner_class.__name__} with hubtypes' hub-type-aware storage (TLJH plugin)."
    wrapped = type(name, bases, {"__module__": __name__, "__qualname__": name, "__doc__": doc})
    _classes[spawner_class] = wrapped
    return wrapped


__all__ = [
    "TLJHSpawnerMixin",
    "TLJHStorage",
    "find_user_creating_spawner",
    "system_account",
    "tljh_spawner_class",
]
