"""What a webhook accepts: a JSON body of its payload's shape, within the size limit; an event its
filter refuses is skipped.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from history.models import Run
from workflows.triggers.webhooks import sign

from .conftest import ORDER, assert_error, body_of, deliver

pytestmark = pytest.mark.django_db


def test_an_event_the_filter_refuses_is_skipped_without_runs(secret: str) -> None:
    response = deliver(body_of({"kind": "ignored", "marker": "m"}), token=secret)

    assert response.status_code == 200, response.content
    assert response.json()["ok"] is True and response.json()["skipped"] is True
    assert "run_id" not in response.json()
    assert Run.objects.count() == 0


def test_a_payload_missing_a_field_is_400_naming_it(secret: str) -> None:
    response = deliver(body_of({"kind": "paid"}), token=secret)

    error = assert_error(response, 400)
    assert "marker" in error["details"]["fields"]
    assert "marker" in error["message"]
    assert Run.objects.count() == 0


def test_a_payload_of_the_wrong_shape_is_400(secret: str) -> None:
    assert_error(deliver(body_of(["kind", "marker"]), token=secret), 400)
    assert_error(deliver(body_of({"kind": 3, "marker": "m"}), token=secret), 400)
    assert Run.objects.count() == 0


def test_a_body_that_is_not_json_is_415(secret: str) -> None:
    response = deliver(
        b"kind=paid&marker=m", token=secret, content_type="application/x-www-form-urlencoded"
    )

    assert_error(response, 415)
    assert_error(deliver(b"<order/>", token=secret, content_type="text/xml"), 415)
    assert Run.objects.count() == 0


def test_malformed_json_is_400_with_the_parse_position(secret: str) -> None:
    response = deliver(b'{"kind": "paid", "marker": ', token=secret)

    error = assert_error(response, 400)
    assert "line 1" in error["message"] and "column" in error["message"]
    assert Run.objects.count() == 0


def test_a_json_content_type_with_a_charset_is_accepted(secret: str) -> None:
    response = deliver(body_of(ORDER), token=secret, content_type="application/json; charset=utf-8")
    assert response.status_code == 202, response.content


def test_a_body_over_the_payload_limit_is_413_and_creates_nothing(secret: str) -> None:
    limits = {**getattr(settings, "KEYSTROKE_WORKFLOWS", {}), "MAX_PAYLOAD": 100}
    big = body_of({"kind": "paid", "marker": "x" * 200})
    small = body_of(ORDER)
    assert len(big) > 100 >= len(small)

    with override_settings(KEYSTROKE_WORKFLOWS=limits):
        assert_error(deliver(big, token=secret), 413)
        assert_error(deliver(big, signature=sign(secret, big)), 413)
        assert Run.objects.count() == 0
        # the limit, not the event, refused it
        assert deliver(small, token=secret).status_code == 202


def test_an_unknown_endpoint_is_404(secret: str) -> None:
    assert_error(deliver(body_of(ORDER), token=secret, endpoint="nope"), 404)
    assert Run.objects.count() == 0
