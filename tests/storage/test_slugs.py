"""Safe slugs: distinct names never share a directory, and nothing escapes the root."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubtypes.storage.slugs import check_relative, group_name, is_plain_slug, safe_join, safe_slug

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(--[0-9a-f]{16})?$")

# names that look alike: case, punctuation, unicode look-alikes, dots
tricky = st.one_of(
    st.text(min_size=0, max_size=60),
    st.text(alphabet="aA.-_/ é\u00e9e\u0301.\\\x00", max_size=12),
    st.sampled_from(["..", ".", "", "/", "a/../b", "Alice", "alice", "ALICE", "al-ice", "al--ice"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(tricky, min_size=2, max_size=6, unique=True))
def test_distinct_names_never_collide(names):
    slugs = [safe_slug(n) for n in names]
    assert len(set(slugs)) == len(slugs), dict(zip(names, slugs, strict=True))


@settings(max_examples=300, deadline=None)
@given(tricky, tricky)
def test_slugs_are_safe_and_stay_under_the_root(user, workshop):
    u, w = safe_slug(user), safe_slug(workshop)
    for s in (u, w):
        assert SLUG.match(s), s
        assert len(s) <= 58
    root = "/srv/hubtypes"
    path = safe_join(root, f"workshops/{w}/{u}")
    assert os.path.commonpath([root, path]) == root
    assert path == f"{root}/workshops/{w}/{u}"


@pytest.mark.parametrize(
    "name, slug",
    [
        ("alice", "alice"),
        ("a-b-1", "a-b-1"),
        ("Alice", "alice--"),
        ("..", "x--"),
        ("", "x--"),
        ("al--ice", "al-ice--"),
        ("björn@example.org", "bjorn-example-org--"),
    ],
)
def test_examples(name, slug):
    out = safe_slug(name)
    assert out.startswith(slug)
    assert (out == name) == is_plain_slug(name)


def test_long_plain_names_are_hashed():
    name = "a" * 41
    assert safe_slug(name) != name and safe_slug(name).startswith("a" * 40 + "--")


@pytest.mark.parametrize("bad", ["", "/etc", "a/../b", "a/./b", "..", "a//b", "A", "a/b/"])
def test_check_relative_rejects(bad):
    with pytest.raises(ValueError):
        check_relative(bad)
    with pytest.raises(ValueError):
        safe_join("/srv", bad)


def test_group_names_fit_and_differ():
    names = {group_name(safe_slug(w), k) for w in ["a" * 50, "a" * 51, "x"] for k in "mi"}
    assert len(names) == 6 and all(len(n) <= 32 for n in names)
