"""Secrets never reach a span or a log."""

from __future__ import annotations

import pytest

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
    ],
)
def test_secret_looking_text_is_masked(text: str) -> None:
    masked = redact_text(text)
    assert MASK in masked
    for secret in ("abcdefgh12345678", "ABCDEFGHIJKLMNOP", "abcdefghijklmnopqrstuvwxyz", "hunter2", "swordfish", "eyJ"):
        assert secret not in masked


def test_secret_named_fields_are_masked_at_any_depth_and_the_rest_kept() -> None:
    value = {"headers": {"Authorization": "Bearer x", "Accept": "json"}, "items": [{"api_key": "k", "n": 1}]}
    assert redact(value) == {"headers": {"Authorization": MASK, "Accept": "json"}, "items": [{"api_key": MASK, "n": 1}]}


def test_ordinary_text_is_left_alone() -> None:
    assert redact_text("posting to #sales: 3 deals, score 41") == "posting to #sales: 3 deals, score 41"


def test_token_counts_are_not_secrets() -> None:
    assert redact({"gen_ai.usage.input_tokens": 10, "access_token": "x", "max_tokens": 5, "refresh_tokens": "y"}) == {
        "gen_ai.usage.input_tokens": 10, "access_token": "[redacted]", "max_tokens": 5, "refresh_tokens": "[redacted]",
    }  # fmt: skip
