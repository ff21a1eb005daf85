"""The error for a part of hubtypes chosen without its optional dependency (an extra).

Shared by the spawners (:mod:`hubtypes.spawner`) and the OAuth authenticators
(:mod:`hubtypes.auth.oauth`), which may not import each other; standard library only.
"""

from __future__ import annotations

# hubtypes is installed from its source (it is not on PyPI yet): say how to add an extra
INSTALL_HINT = "pip install 'hubtypes[{extra}] @ <hubtypes source or wheel>'"


class MissingDependency(ImportError):
    """A hubtypes class was asked for without its optional dependency.

    An ImportError (an ``Exception``), so JupyterHub, which loads every entry point to
    list them and skips those that raise one, keeps starting with the classes that work.
    """

    # shown in tracebacks by the name it is documented and imported by
    __module__ = "hubtypes.spawner"


def missing_dependency(what: str, dependency: str, extra: str) -> MissingDependency:
    """The one line that says which extra to install for ``what`` (a class name)."""
    return MissingDependency(
        f"{what} needs {dependency}, which is not installed; install hubtypes with its "
        f"{extra!r} extra: {INSTALL_HINT.format(extra=extra)}",
        name=dependency,
    )
