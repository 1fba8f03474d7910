"""The fingerprint of a failure: the same for messages that differ only in their variable parts,
and stable under its own normalization."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from history.fingerprints import FINGERPRINTED_CHARS, error_fingerprint, error_pattern

# Fixed words: letters only (digits or quotes in them would be variable parts).
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzCRM:;()", min_size=1, max_size=12)
numbers = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(str),
    st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)).map(lambda t: f"{t[0]}.{t[1]}"),
)
hexes = st.binary(min_size=4, max_size=32).map(bytes.hex)
uuids = st.uuids().map(str)
run_ids = st.uuids().map(lambda u: f"run_{u.hex}")
LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
label = st.text(alphabet=LOWER, min_size=1, max_size=8)
emails = st.builds(lambda user, host: f"{user}@{host}.com", label, label)
urls = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}.example/{path}",
    st.sampled_from(["http", "https"]),
    label,
    st.text(alphabet=LOWER + "/?=&%._-", max_size=20),
)
quoted = st.text(alphabet=st.characters(blacklist_characters="'\n\r"), max_size=20).map(
    lambda text: f"'{text}'"
)
KINDS = {"number": numbers, "hex": hexes, "uuid": uuids, "run": run_ids}
KINDS |= {"email": emails, "url": urls, "quoted": quoted}

# A template: fixed words and slots, each slot of one kind of variable part.
templates = st.lists(
    st.one_of(
        words.map(lambda w: ("word", w)), st.sampled_from(sorted(KINDS)).map(lambda k: (k, ""))
    ),
    min_size=1,
    max_size=8,
)


@st.composite
def two_fillings(draw: st.DrawFn) -> tuple[str, str]:
    """One template filled twice with independent values in its slots."""
    template = draw(templates)
    filled = []
    for _ in range(2):
        parts = [text if kind == "word" else draw(KINDS[kind]) for kind, text in template]
        filled.append(" ".join(parts))
    return filled[0], filled[1]


@given(two_fillings(), st.sampled_from(["TimeoutError", "HTTPError", ""]))
def test_messages_differing_only_in_variable_parts_have_one_fingerprint(
    messages: tuple[str, str], error_type: str
) -> None:
    a, b = messages
    assert error_pattern(a) == error_pattern(b)
    assert error_fingerprint(error_type, a) == error_fingerprint(error_type, b)


@given(st.text(max_size=FINGERPRINTED_CHARS))
def test_the_pattern_is_idempotent(message: str) -> None:
    pattern = error_pattern(message)
    assert error_pattern(pattern) == pattern


def test_it_groups_a_timeout_whatever_its_seconds_and_tells_types_apart() -> None:
    assert error_pattern("CRM timed out after 30s") == "CRM timed out after <n>s"
    assert error_fingerprint("Timeout", "CRM timed out after 30s") == error_fingerprint(
        "Timeout", "CRM timed out after 31s"
    )
    assert error_fingerprint("Timeout", "x") != error_fingerprint("HTTPError", "x")
    assert error_fingerprint("Timeout", "CRM down") != error_fingerprint("Timeout", "ERP down")


def test_it_replaces_each_kind_of_variable_part() -> None:
    message = (
        f"user ada@example.com: run_{uuid.uuid4().hex} ({uuid.uuid4()}) got 503 from "
        "https://crm.example.com/v2/leads?id=7 for 'Acme Corp', sha 9f2c4e1d0a"
    )
    assert error_pattern(message) == (
        "user <email>: <id> (<id>) got <n> from <url> for <str>, sha <n>"
    )
    assert error_pattern("can't connect, don't retry") == "can't connect, don't retry"
