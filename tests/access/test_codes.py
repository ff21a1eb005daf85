"""Access codes: entropy, readability, hashing."""

import re

from hypothesis import given
from hypothesis import strategies as st

from hubtypes.access.codes import (
    ALPHABET,
    ENTROPY_BITS,
    generate_code,
    hash_code,
    normalize_code,
    verify_code,
)

CODE_RE = re.compile(rf"^[{ALPHABET}]{{4}}(-[{ALPHABET}]{{4}}){{3}}$")


def test_entropy_at_least_64_bits():
    assert ENTROPY_BITS >= 64


def test_alphabet_has_no_look_alikes():
    assert not set("0o1liI") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET)


def test_codes_are_grouped_and_distinct():
    codes = {generate_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(CODE_RE.match(c) for c in codes)


def test_hash_is_salted_and_never_contains_the_code():
    code = generate_code()
    a, b = hash_code(code), hash_code(code)
    assert a != b
    assert normalize_code(code) not in a and code not in a
    assert verify_code(code, a) and verify_code(code, b)


def test_typing_is_forgiving_about_case_spaces_and_dashes():
    code = generate_code()
    stored = hash_code(code)
    assert verify_code(code.upper(), stored)
    assert verify_code(code.replace("-", " "), stored)
    assert verify_code(code.replace("-", ""), stored)


def test_wrong_or_malformed():
    stored = hash_code(generate_code())
    assert not verify_code(generate_code(), stored)
    assert not verify_code("", stored)
    for bad in ["", "sha256$zz$00", "md5$00$00", "sha256$00", "plain"]:
        assert not verify_code("abcd", bad)


@given(st.text(max_size=40))
def test_verify_never_raises(text):
    stored = hash_code("abcd-efgh-jkmn-pqrs")
    assert verify_code(text, stored) == (normalize_code(text) == "abcdefghjkmnpqrs")
