"""Workshop and instructor group names never collide (finding: workshop
``gc-instructors``'s group was workshop ``gc``'s instructors group)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubtypes.access.names import SLUG_PATTERN, GroupNames, new_slug_problem

TEMPLATES = [
    GroupNames(),  # workshop-{slug}, workshop-{slug}-instructors
    GroupNames("{slug}", "{slug}-staff"),
    GroupNames("ws-{slug}", "staff-{slug}"),
    GroupNames("{slug}-ws", "{slug}-ws-teach"),
]
SUFFIXES = ["-instructors", "-staff", "-ws", "-teach", "-ws-teach", "instructors"]

slugs = st.from_regex(f"^{SLUG_PATTERN}$", fullmatch=True)


@st.composite
def slug_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """Two slugs, often one the other plus a template's suffix (where collisions live)."""
    a = draw(slugs)
    b = draw(st.one_of(slugs, st.sampled_from(SUFFIXES).map(lambda s: a + s)))
    if draw(st.booleans()):
        a, b = b, a
    return a, b


@given(st.sampled_from(TEMPLATES), slug_pairs())
def test_two_workshops_that_can_both_exist_never_share_a_group(groups, pair):
    first, second = pair
    if first == second or new_slug_problem(first, groups, set()) is not None:
        return
    if new_slug_problem(second, groups, {first}) is not None:
        return
    names_first, names_second = set(groups.of(first)), set(groups.of(second))
    assert len(names_first) == 2 and len(names_second) == 2
    assert not names_first & names_second, (first, second, names_first & names_second)


@given(st.sampled_from(TEMPLATES), slugs)
def test_an_ordinary_slug_is_usable(groups, slug):
    """Only slugs whose groups could collide are refused, not ordinary ones."""
    clean = slug.replace("-", "") or "a"
    assert new_slug_problem(clean, groups, set()) is None or len(clean) > 63


@pytest.mark.parametrize(
    "slug, existing, fragment",
    [
        ("gc-instructors", set(), "workshop 'gc''s instructors group (such slugs are reserved)"),
        ("gc-instructors", {"gc"}, "reserved"),
        # made before the rule: the shorter slug is refused while it exists
        ("gc", {"gc-instructors"}, "is the group of workshop 'gc-instructors'"),
        ("gc", set(), None),
        ("instructors", set(), None),
        ("gc-instructor", set(), None),
        ("Bad Slug", set(), "not a valid workshop slug"),
    ],
)
def test_new_slug_problem_with_the_default_templates(slug, existing, fragment):
    problem = new_slug_problem(slug, GroupNames(), existing)
    assert (problem is None) if fragment is None else (fragment in (problem or "")), problem


@pytest.mark.parametrize(
    "members, instructors, fragment",
    [
        ("workshop", "{slug}-i", "exactly once"),
        ("{slug}-{slug}", "{slug}-i", "exactly once"),
        ("{slug}", "{slug}", "must differ"),
        ("{slug}-a", "{slug}", "give the instructors template a suffix"),
    ],
)
def test_unusable_templates_are_refused(members, instructors, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(")):
        GroupNames(members, instructors)
