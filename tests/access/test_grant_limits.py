"""How many identities one grants request may name: the accounts' limit, not ten times it
(the hub is asked about each name; hubtypes.access.grants, hubtypes.inputs)."""

from __future__ import annotations

import pytest

from hubtypes.access.grants import MAX_GRANTS, check_identities
from hubtypes.errors import InputError
from hubtypes.inputs import MAX_NAMED


def test_grants_and_accounts_share_one_limit():
    # access sits below inputs in the layers, so the number is written twice: kept equal here
    assert MAX_GRANTS == MAX_NAMED == 1000


def test_one_request_names_at_most_the_limit():
    assert len(check_identities([f"p{i}" for i in range(MAX_NAMED)])) == MAX_NAMED
    # spellings of one name count once
    assert len(check_identities([f"p{i}" for i in range(MAX_NAMED)] + ["P0 ", "p1"])) == MAX_NAMED
    with pytest.raises(InputError) as e:
        check_identities([f"p{i}" for i in range(MAX_NAMED + 1)])
    assert e.value.field == "identities"
    assert "1001 identities in one request; give at most 1000" in str(e.value)
