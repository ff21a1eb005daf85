"""The names hubtypes 0.1 documented under ``hubtypes.db.engine`` still work, with a warning.

``docs/reference.md`` of 0.1 named ``hubtypes.db.engine.HubTypesDatabase``; the class moved to
``hubtypes.db.database``. ``engine.py`` serves the old names from a module ``__getattr__``
(a plain import would be an import cycle: database.py imports engine.py).
"""

from __future__ import annotations

import warnings

import pytest

import hubtypes.db.database as database
import hubtypes.db.engine as engine


@pytest.mark.parametrize(
    "name", ["HubTypesDatabase", "Database", "get_database", "forget_databases"]
)
def test_a_moved_name_is_the_new_object_with_a_deprecation_warning(name: str) -> None:
    with pytest.warns(DeprecationWarning, match=r"hubtypes\.db\.database") as caught:
        moved = getattr(engine, name)
    assert moved is getattr(database, name)
    assert f"hubtypes.db.engine.{name}" in str(caught[0].message)
    assert caught[0].filename == __file__  # the warning points at the caller


def test_the_documented_from_import_still_works() -> None:
    with pytest.warns(DeprecationWarning):
        from hubtypes.db.engine import HubTypesDatabase
    assert HubTypesDatabase is database.HubTypesDatabase
    assert HubTypesDatabase.class_traits(config=True)["url"].help


def test_names_that_did_not_move_warn_nothing_and_unknown_ones_raise() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert engine.make_engine and engine.DEFAULT_URL
        assert engine.DatabaseError is database.DatabaseError
    with pytest.raises(AttributeError, match="no_such_name"):
        engine.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        from hubtypes.db.engine import no_such_name  # noqa: F401
