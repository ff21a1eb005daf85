"""The TLJH plugin's settings: the ``hubtypes`` section of TLJH's ``config.yaml``, checked.

Pure standard library (also: which of hubtypes' snippets the plugin replaces, for its warning).
Each wrong key is a :class:`SettingError` naming the key and the
``sudo tljh-config ...`` command that fixes it; the hooks in :mod:`hubtypes.tljh` apply
nothing when there is one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

HUB_TYPES = ("community", "workshop", "binder")
UNASSIGNED_TYPES = ("community", "binder", "refuse")
DEFAULT_STORAGE_ROOT = "/srv/hubtypes"
DEFAULT_ARCHIVE_ROOT = "/srv/hubtypes-archive"
DEFAULT_SERVICE_PORT = 10101
SECTION = "hubtypes"


def install_prefix() -> str:
    """TLJH's install prefix, found the way TLJH finds it (``tljh/config.py``)."""
    return os.environ.get("TLJH_INSTALL_PREFIX", "/opt/tljh")


def config_file() -> str:
    """TLJH's ``config.yaml``, the file ``tljh-config`` writes."""
    return os.path.join(install_prefix(), "config", "config.yaml")


def default_db_url() -> str:
    """A SQLite file in TLJH's state directory, where the hub keeps its own database."""
    return "sqlite:///" + os.path.join(install_prefix(), "state", "hubtypes.sqlite")


@dataclass(frozen=True)
class TLJHSettings:
    """The ``hubtypes`` section of TLJH's config, checked."""

    type: str
    db_url: str
    storage_root: str = DEFAULT_STORAGE_ROOT
    archive_root: str = DEFAULT_ARCHIVE_ROOT
    unassigned_type: str = "community"
    service: bool = False
    service_port: int = DEFAULT_SERVICE_PORT
    culler: bool = False  # hubtypes' culler instead of TLJH's cull-idle


class SettingError(ValueError):
    """One bad key; ``str()`` is the whole log line."""

    def __init__(self, key: str, problem: str, fix: str) -> None:
        self.key = key
        super().__init__(
            f"hubtypes: tljh-config key {key} {problem}; fix it with `{fix}` and then "
            "`sudo tljh-config reload`. Until then hubtypes is not applied and the hub "
            "runs as plain TLJH."
        )


def _set(key: str, example: Any) -> str:
    return f"sudo tljh-config set {key} {example}"


def _choice(
    section: dict[str, Any], key: str, choices: tuple[str, ...], default: str, example: str
) -> str:
    value = section.get(key, default)
    if not isinstance(value, str) or value.lower() not in choices:
        raise SettingError(
            f"{SECTION}.{key}",
            f"is {value!r}, expected one of {', '.join(choices)}",
            _set(f"{SECTION}.{key}", example),
        )
    return value.lower()


def _path(section: dict[str, Any], key: str, default: str) -> str:
    value = section.get(key, default)
    if not isinstance(value, str) or not os.path.isabs(value):
        raise SettingError(
            f"{SECTION}.{key}",
            f"is {value!r}, expected an absolute path",
            _set(f"{SECTION}.{key}", default),
        )
    return os.path.normpath(value)


def _bool(section: dict[str, Any], key: str, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise SettingError(
            f"{SECTION}.{key}",
            f"is {value!r}, expected true or false",
            _set(f"{SECTION}.{key}", str(default).lower()),
        )
    return value


def _port(section: dict[str, Any], key: str, default: int) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise SettingError(
            f"{SECTION}.{key}",
            f"is {value!r}, expected a TCP port number (1-65535)",
            _set(f"{SECTION}.{key}", default),
        )
    return value


def _db_url(section: dict[str, Any]) -> str:
    value = section.get("db_url")
    if value is None:
        return default_db_url()
    example = "postgresql+psycopg2://USER:PASSWORD@HOST/hubtypes"
    # never the value itself in the log: a database URL may hold a password
    if not isinstance(value, str):
        problem = f"is a {type(value).__name__}, expected an SQLAlchemy URL"
        raise SettingError(f"{SECTION}.db_url", problem, _set(f"{SECTION}.db_url", example))
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(value)
    except ArgumentError:
        problem = "is not an SQLAlchemy URL (value not shown: it may hold a password)"
        raise SettingError(
            f"{SECTION}.db_url", problem, _set(f"{SECTION}.db_url", example)
        ) from None
    return value


KNOWN_KEYS = (
    "type",
    "db_url",
    "storage_root",
    "archive_root",
    "unassigned_type",
    "service",
    "service_port",
    "culler",
)


def parse_settings(tljh_config: dict[str, Any]) -> TLJHSettings | None:
    """The checked ``hubtypes`` section of TLJH's config, or None if there is none.

    Raises :class:`SettingError` for the first bad key."""
    section = tljh_config.get(SECTION)
    if section is None:
        return None
    if not isinstance(section, dict):
        raise SettingError(
            SECTION,
            f"is {section!r}, expected a section with keys such as {SECTION}.type",
            f"sudo tljh-config unset {SECTION} && {_set(SECTION + '.type', 'workshop')}",
        )
    for key in section:
        if key not in KNOWN_KEYS:
            raise SettingError(
                f"{SECTION}.{key}",
                f"is not a hubtypes setting (known: {', '.join(KNOWN_KEYS)})",
                f"sudo tljh-config unset {SECTION}.{key}",
            )
    if "type" not in section:
        raise SettingError(f"{SECTION}.type", "is missing", _set(f"{SECTION}.type", "workshop"))
    hub_type = _choice(section, "type", HUB_TYPES, "", example="workshop")
    return TLJHSettings(
        type=hub_type,
        db_url=_db_url(section),
        storage_root=_path(section, "storage_root", DEFAULT_STORAGE_ROOT),
        archive_root=_path(section, "archive_root", DEFAULT_ARCHIVE_ROOT),
        unassigned_type=_choice(
            section, "unassigned_type", UNASSIGNED_TYPES, "community", example="community"
        ),
        service=_bool(section, "service", hub_type == "workshop"),
        service_port=_port(section, "service_port", DEFAULT_SERVICE_PORT),
        culler=_bool(section, "culler", False),
    )


# hubtypes' snippets whose job the plugin does itself (loaded after it, each would undo or
# double it): the name's end, and what does it on TLJH. The others (the OAuth login,
# 10-hubtypes-workshop-oauth.py, and the binder login, 50-hubtypes-binder-login.py) set only
# the login, which the plugin leaves to TLJH: docs/tljh.md and docs/workshop-oauth.md have
# operators copy them into TLJH's jupyterhub_config.d.
REPLACED_SNIPPETS = {
    "hubtypes-workshop.py": "`sudo tljh-config set hubtypes.type workshop` sets the "
    "access-code login",
    "hubtypes-spawner-": "the plugin wraps TLJH's spawner, which a spawner snippet replaces "
    "(then spawns fail)",
    "hubtypes-workshop-service.py": "`sudo tljh-config set hubtypes.service true` runs the "
    "workshop service (a second one would clash with it)",
    "hubtypes-culler.py": "`sudo tljh-config set hubtypes.culler true` runs hubtypes' "
    "culler, with this hub's type, instead of TLJH's cull-idle",
}


def replaced_snippet(name: str) -> str | None:
    """What does the job of the hubtypes snippet ``name`` on TLJH, if the plugin does it."""
    for end, instead in REPLACED_SNIPPETS.items():
        if end in name:
            return instead
    return None


def load_tljh_config(path: str | None = None) -> dict[str, Any]:
    """TLJH's ``config.yaml`` as a dict ({} if there is none), read from where TLJH reads
    it (``tljh/configurer.py``, ``load_config``). Only the user's own settings: TLJH's
    defaults for its own keys are not merged in (hubtypes reads its section, and
    ``services.cull`` with TLJH's defaults in mind)."""
    path = path or config_file()
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return {}
    try:
        import yaml  # PyYAML: a dependency of jupyter-server, which hubtypes depends on

        loaded = yaml.safe_load(text)
    except ImportError:  # pragma: no cover - TLJH's own YAML library, always on TLJH
        from ruamel.yaml import YAML

        loaded = YAML(typ="safe").load(text)
    return loaded if isinstance(loaded, dict) else {}
