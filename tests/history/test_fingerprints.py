"""The fingerprint of a failure: the same for messages that differ only in their variable parts,
and stable under its own normalization."""

from __future__ import annotations

import re
import uuid

from hypothesis import given
from hypothesis import strategies as st

from history.fingerprints import (
    FINGERPRINTED_CHARS,
    error_fingerprint,
    error_pattern,
    fingerprint_of,
    step_key,
)

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
# Quoted text that looks variable: with a space or a digit in it (short identifiers stay).
quoted_text = st.text(alphabet=st.characters(blacklist_characters="'\n\r"), max_size=20)
quoted = st.tuples(quoted_text, quoted_text, st.sampled_from([" ", "7"])).map(
    lambda t: f"'{t[0]}{t[2]}{t[1]}'"
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


TOKEN = "0123456789abcdef" * 2 + "01234567"


def test_a_hex_run_glued_to_a_word_is_replaced_whole() -> None:
    for glued in (f"hook_{TOKEN}", f"x{TOKEN}s", f"u00e9{TOKEN}", f"{TOKEN.upper()}_x", TOKEN):
        pattern = error_pattern(f"bad token {glued} for 'step {glued}'")
        assert not re.search("[0-9a-f]{16}", pattern, re.IGNORECASE), pattern
    assert error_pattern(f"hook_{TOKEN}") == "hook_<n>"


@given(st.integers(min_value=0, max_value=10**40), st.sampled_from(["", "'", "x"]))
def test_a_long_message_is_one_kind_of_failure_whatever_the_length_of_its_variable_part(
    number: int, glue: str
) -> None:
    tail = " the CRM answered with a page we could not read:" + " lorem ipsum" * 80
    message = f"lead {glue}{number}{glue} failed;{tail}"
    assert FINGERPRINTED_CHARS - 20 < len(error_pattern(message)) <= FINGERPRINTED_CHARS
    assert error_fingerprint("E", message) == error_fingerprint(
        "E", f"lead {glue}1{glue} failed;{tail}"
    )


def test_short_quoted_identifiers_tell_failures_apart_and_variable_quotes_do_not() -> None:
    assert error_fingerprint("KeyError", "'email'") != error_fingerprint("KeyError", "'name'")
    attribute = "'NoneType' object has no attribute 'split'"
    assert error_pattern(attribute) == attribute
    assert error_pattern('No module named "crm_client"') == 'No module named "crm_client"'
    assert error_pattern("lead 'Ada Lovelace' and \"order 42\"") == "lead <str> and <str>"
    assert error_pattern(f"'{'z' * 33}'") == "<str>"
    assert error_pattern(f"'{'z' * 32}'") == f"'{'z' * 32}'"


def test_the_failing_steps_key_is_part_of_the_fingerprint() -> None:
    def of(step_id: object) -> str:
        return fingerprint_of({"type": "Timeout", "message": "timed out", "step_id": step_id})

    assert step_key("step:lookup-company#0") == "lookup-company"
    assert step_key("step:hook:approval#2/3") == "hook:approval"
    assert (
        of("step:lookup-company#0") == of("step:lookup-company#7") == of("step:lookup-company#1/2")
    )
    assert of("step:lookup-company#0") != of("step:send-mail#0")
    assert of(None) == of(5) == fingerprint_of({"type": "Timeout", "message": "timed out"})
    assert of(None) != of("step:send-mail#0")


def test_the_pattern_of_a_pattern_is_itself_for_quotes_and_urls_next_to_numbers() -> None:
    for message in ("' '5 retries", '"\n"', "1http://b.example", '"<"\'1"a "', ">:\" '\"a.' @.'"):
        pattern = error_pattern(message)
        assert error_pattern(pattern) == pattern, message
