"""Templates: hubtypes' pages extend the hub's own ``page.html``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape

from hubtypes._data import templates_dir


def stock_templates() -> Path:
    """The hub's own templates (share/jupyterhub/templates)."""
    from jupyterhub._data import DATA_FILES_PATH

    return Path(DATA_FILES_PATH) / "templates"


def make_env(extra: Sequence[str] = ()) -> Environment:
    """Operator's templates, then hubtypes', then the hub's (also as ``templates/...``)."""
    stock = str(stock_templates())
    loader = ChoiceLoader(
        [
            FileSystemLoader([*extra, str(templates_dir() / "workshop")]),
            PrefixLoader({"templates": FileSystemLoader([stock])}, "/"),
            FileSystemLoader([stock]),
        ]
    )
    env = Environment(loader=loader, autoescape=select_autoescape(default=True))
    env.filters["tojson_attr"] = lambda v: json.dumps(v)
    return env
