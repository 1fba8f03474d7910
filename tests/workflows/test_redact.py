"""Secrets never reach a span or a log."""

from __future__ import annotations

import string
import subprocess
import sys

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from workflows.redact import MASK, redact, redact_text


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer abcdefgh12345678",
        "using sk-proj-ABCDEFGHIJKLMNOP1234",
        "key ks_abcdefghijklmnopqrstuvwxyz",
        "api_key=hunter2hunter2",
        'password: "swordfish"',
        "token=eyJhbGciOiJIUzI1NiJ9.x",
        "Authorization: Basic YWxhZGRpbjpzd29yZGZpc2g=",
        "requests.get(auth=...) sent basic YWxhZGRpbjpzd29yZGZpc2g=",
        "AccessDenied for AKIAABCDEFGHIJKLMNOP",
        "aws_secret_access_key = hunter2hunter2hunter2",
        "could not connect to postgres://app:hunter2@db.internal:5432/app",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEabcdefgh12345678\n-----END RSA PRIVATE KEY-----",
        # cut off before its end
        "key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaABCDEFGHIJKLMNOP",
        '{"db_password": "swordfish"}',
        "Cookie: sessionid=abcdefgh12345678",
    ],
)
def test_secret_looking_text_is_masked(text: str) -> None:
    masked = redact_text(text)
    assert MASK in masked
    secrets = (
        "abcdefgh12345678",
        "ABCDEFGHIJKLMNOP",
        "abcdefghijklmnopqrstuvwxyz",
        "hunter2",
        "swordfish",
        "eyJ",
    )
    for secret in (*secrets, "YWxhZGRpbjpzd29yZGZpc2g", "MIIE", "b3BlbnNzaA"):
        assert secret not in masked


def test_secret_named_fields_are_masked_at_any_depth_and_the_rest_kept() -> None:
    value = {
        "headers": {"Authorization": "Bearer x", "Accept": "json"},
        "items": [{"api_key": "k", "n": 1}],
    }
    assert redact(value) == {
        "headers": {"Authorization": MASK, "Accept": "json"},
        "items": [{"api_key": MASK, "n": 1}],
    }


@pytest.mark.parametrize(
    "text",
    [
        "posting to #sales: 3 deals, score 41",
        "GET https://api.example.com:8443/v1/items?page=2 answered 503",
        "used 512 input_tokens and max_tokens=1024",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b deployed",
        "resume at https://k.example/hooks/3f786850e387550fdab836ed7e6dc881de23001b",
        "Basic arithmetic failed",
        "Secretary: Jane Doe",
        "tokenizer: cl100k_base",
        "token_count: 42, token_type: bearer",
        "no cookie: consent given",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


@given(
    secret=st.text(alphabet=string.ascii_letters + string.digits, min_size=8, max_size=40),
    before=st.text(max_size=30),
    shape=st.sampled_from(
        [
            "Authorization: Bearer {}",
            "password={}",
            "api_key: '{}'",
            "https://u:{}@host/",
            "Authorization: Basic {}",
            "secret={}",
            "Bearer {}",
            'password: "{} and more"',
            "token={}) and",
        ]
    ),
)
def test_a_secret_in_any_shape_is_gone_whatever_surrounds_it(
    secret: str, before: str, shape: str
) -> None:
    assume(secret not in shape + MASK)
    masked = redact_text(before + " " + shape.format(secret) + "\n")
    assert secret not in masked.replace(before, "", 1)
    assert redact_text(masked) == masked  # stored text redacted twice reads the same


def test_a_secret_past_a_bound_or_an_escaped_quote_is_still_masked() -> None:
    assert "x" * 50 not in redact_text('password: "' + "x" * 2000 + '"')
    assert "hunter2" not in redact_text('password: "hunter2 unterminated')
    assert "p" * 50 not in redact_text("https://u:" + "p" * 3000 + "@host/")
    assert redact_text('"api_key": "ab\\"cd ef"') == '"api_key": "[redacted]"'
    assert (
        redact_text("Basic AAAAAAAA and Bearer abcdefghijklmnop")
        == "Basic [redacted] and Bearer [redacted]"
    )


def test_a_quoted_secret_is_masked_whole_and_keeps_its_quotes() -> None:
    assert (
        redact_text('{"password": "correct horse battery", "user": "ada"}')
        == '{"password": "[redacted]", "user": "ada"}'
    )
    assert redact_text("db_password='a b c' host=db") == "db_password='[redacted]' host=db"


def test_names_that_only_look_like_secrets_keep_their_values() -> None:
    value = {
        "tokens": 12,
        "max_new_tokens": 5,
        "secretary": "Jane",
        "cookie_consent": "yes",
        "token_type": "bearer",
        "tokens_used": 7,
        "cache_read_input_tokens": 3,
        "PWD": "/srv",
        "llm.usage.total_tokens": 9,
    }
    assert (
        redact_text("Usage(tokens_used=512, max_completion_tokens=9)")
        == "Usage(tokens_used=512, max_completion_tokens=9)"
    )
    assert redact(value) == value
    assert redact({"clientSecret": "x", "X-Api-Key": "k", "DB_PASSWORD": "p"}) == {
        "clientSecret": MASK,
        "X-Api-Key": MASK,
        "DB_PASSWORD": MASK,
    }


def test_token_counts_are_not_secrets() -> None:
    assert redact(
        {
            "gen_ai.usage.input_tokens": 10,
            "access_token": "x",
            "max_tokens": 5,
            "refresh_tokens": "y",
        }
    ) == {
        "gen_ai.usage.input_tokens": 10,
        "access_token": "[redacted]",
        "max_tokens": 5,
        "refresh_tokens": "[redacted]",
    }


def test_long_words_cost_linear_time_so_a_hostile_path_or_error_cannot_stall_a_process() -> None:
    # Quadratic patterns took 17 s on 20,000 characters (a request path logged on a 400); these
    # inputs are ten times longer, so only a linear scan finishes inside the generous timeout.
    words = (
        '["x" * 200_000, "a." * 100_000, "ab-" * 70_000, "http://" + "u" * 200_000, "eyJ" + "x" * '
        "200_000,"
        ' "secret" * 50_000, "pwd" * 80_000, "token_" * 40_000, "a://" * 50_000, "Bearer " * '
        "30_000]"
    )
    script = (
        f"from workflows.redact import redact_text\nfor w in {words}: redact_text(w)\nprint('done')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "done", done.stderr[-2000:]
