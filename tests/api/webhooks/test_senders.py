"""Webhooks their senders sign: Standard Webhooks (Svix), GitHub and Stripe. Deliveries are signed
by the senders' own libraries where PyPI has one (``standardwebhooks``, ``stripe``) and by GitHub's
documented algorithm, checked against the example GitHub publishes.

Each is accepted when signed right, refused (401, nothing created) when tampered, stale, signed
with another secret or carrying a ``?token=``; a redelivery with the same delivery id starts
nothing more.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import stripe
from django.http import HttpResponse
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from standardwebhooks import Webhook as StandardWebhook

from history.models import AuditEvent, Organization, Run, TriggerState
from workflows.errors import Unauthorized
from workflows.triggers.senders import SCHEMES, Delivery

from ...conftest import api_client
from .conftest import assert_error, body_of, deliver

pytestmark = pytest.mark.django_db

STRIPE_SECRET = "whsec_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6"


def _standard(secret: str, body: bytes, msg_id: str, at: float) -> dict[str, str]:
    signature = StandardWebhook(secret).sign(msg_id, datetime.fromtimestamp(at, UTC), body.decode())
    return {
        "HTTP_WEBHOOK_ID": msg_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(at)),
        "HTTP_WEBHOOK_SIGNATURE": signature,
    }


def _github(secret: str, body: bytes, msg_id: str, at: float) -> dict[str, str]:
    # https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "HTTP_X_HUB_SIGNATURE_256": f"sha256={digest}",
        "HTTP_X_GITHUB_DELIVERY": msg_id,
        "HTTP_X_GITHUB_EVENT": "push",
    }


def _stripe(secret: str, body: bytes, msg_id: str, at: float) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, int(at))
    return {"HTTP_STRIPE_SIGNATURE": header}


@dataclass
class Sender:
    slug: str
    sign: Callable[[str, bytes, str, float], dict[str, str]]
    event: Callable[[str], dict[str, str]]  # the event of a delivery id
    marker: Callable[[dict[str, str]], str]  # what the run's input carries of it
    stale: bool = True  # its signature covers a timestamp

    def body(self, delivery_id: str) -> bytes:
        return body_of(self.event(delivery_id))

    def post(
        self, secret: str, body: bytes, delivery_id: str, at: float | None = None, **extra: str
    ) -> HttpResponse:
        headers = self.sign(secret, body, delivery_id, time.time() if at is None else at)
        return deliver(body, endpoint=self.slug, **(headers | extra))


SENDERS = [
    Sender(
        "svix-events",
        _standard,
        lambda i: {"type": "user.created", "marker": f"svix-{i}"},
        lambda e: e["marker"],
    ),
    Sender(
        "github-pushes",
        _github,
        lambda i: {"ref": f"refs/heads/{i}"},
        lambda e: e["ref"],
        stale=False,
    ),
    Sender(
        "stripe-events",
        _stripe,
        lambda i: {"id": f"evt_{i}", "type": "invoice.paid"},
        lambda e: e["id"],
    ),
]


@pytest.fixture(params=SENDERS, ids=lambda s: s.slug)
def sender(request: pytest.FixtureRequest, org: Organization) -> Sender:
    return request.param


@pytest.fixture
def secret_of(org: Organization) -> Callable[[Sender], str]:
    # Stripe makes its endpoint's secret; the admin copies it in (tested through the API below).
    TriggerState.objects.filter(organization=org, key="stripe-events").update(secret=STRIPE_SECRET)
    return lambda sender: TriggerState.objects.get(organization=org, key=sender.slug).secret


def _delivery_id() -> str:
    return uuid.uuid4().hex[:16]


def test_a_delivery_signed_by_the_senders_library_starts_its_run(
    sender: Sender, secret_of: Callable[[Sender], str], org: Organization
) -> None:
    secret, delivery_id = secret_of(sender), _delivery_id()
    body = sender.body(delivery_id)

    response = sender.post(secret, body, delivery_id)

    assert response.status_code == 202, response.content
    run = Run.objects.get()
    assert run.public_id == response.json()["run_id"] and run.organization == org
    assert run.trigger_id == f"{sender.slug}:three-steps" and run.trigger_type == "webhook"
    assert run.input["marker"] == sender.marker(json.loads(body))
    raw = run.trigger_raw
    assert raw["auth"] == SCHEMES[sender_scheme(sender)].name
    assert raw["body_sha256"] == hashlib.sha256(body).hexdigest()
    names = {name.lower() for name in raw["headers"]}
    assert not names & {"webhook-signature", "x-hub-signature-256", "stripe-signature"}
    assert secret not in json.dumps(raw)
    expected_id = f"evt_{delivery_id}" if sender.slug == "stripe-events" else delivery_id
    assert raw["delivery_id"] == expected_id


def sender_scheme(sender: Sender) -> str:
    return {
        "svix-events": "standard-webhooks",
        "github-pushes": "github",
        "stripe-events": "stripe",
    }[sender.slug]


def test_a_redelivery_with_the_same_delivery_id_starts_nothing_more(
    sender: Sender, secret_of: Callable[[Sender], str]
) -> None:
    secret, delivery_id = secret_of(sender), _delivery_id()
    body = sender.body(delivery_id)
    first = sender.post(secret, body, delivery_id, at=time.time() - 30)

    # signed anew, a little later, as each sender does when it retries
    again = sender.post(secret, body, delivery_id)

    assert first.status_code == again.status_code == 202, again.content
    assert again.json() == first.json()
    assert Run.objects.count() == 1

    other_id = _delivery_id()
    other = sender.post(secret, sender.body(other_id), other_id)
    assert other.status_code == 202 and other.json() != first.json()
    assert Run.objects.count() == 2


def test_a_tampered_body_is_refused(sender: Sender, secret_of: Callable[[Sender], str]) -> None:
    secret, delivery_id = secret_of(sender), _delivery_id()
    body = sender.body(delivery_id)
    headers = sender.sign(secret, body, delivery_id, time.time())

    tampered = body.replace(delivery_id.encode(), b"someone-else")
    response = deliver(tampered, endpoint=sender.slug, **headers)

    assert "does not match" in assert_error(response, 401)["message"]
    assert not Run.objects.exists()


def test_a_delivery_signed_with_another_secret_is_refused(
    sender: Sender, secret_of: Callable[[Sender], str]
) -> None:
    secret_of(sender)
    other = SCHEMES[sender_scheme(sender)].new_secret() or "whsec_" + "Z" * 32
    delivery_id = _delivery_id()

    response = sender.post(other, sender.body(delivery_id), delivery_id)

    error = assert_error(response, 401)
    assert other not in error["message"]
    assert not Run.objects.exists()


# GitHub signs no timestamp: a body seen before is what stops a replay (the next test).
@pytest.mark.parametrize("sender", [s for s in SENDERS if s.stale], ids=lambda s: s.slug)
def test_a_stale_or_future_signature_is_refused_outside_the_senders_window(
    sender: Sender, secret_of: Callable[[Sender], str]
) -> None:
    secret = secret_of(sender)
    for at, words in ((time.time() - 360, "seconds old"), (time.time() + 360, "in the future")):
        delivery_id = _delivery_id()
        response = sender.post(secret, sender.body(delivery_id), delivery_id, at=at)
        assert words in assert_error(response, 401)["message"]
    inside = _delivery_id()
    assert sender.post(secret, sender.body(inside), inside, at=time.time() - 270).status_code == 202
    assert Run.objects.count() == 1


def test_a_token_is_not_accepted_where_the_sender_signs(
    sender: Sender, secret_of: Callable[[Sender], str]
) -> None:
    secret, delivery_id = secret_of(sender), _delivery_id()

    response = deliver(sender.body(delivery_id), endpoint=sender.slug, token=secret)

    assert "?token= is not accepted" in assert_error(response, 401)["message"]
    assert not Run.objects.exists()


def test_a_delivery_without_the_senders_headers_is_refused(
    sender: Sender, secret_of: Callable[[Sender], str]
) -> None:
    secret_of(sender)
    assert_error(deliver(sender.body("x"), endpoint=sender.slug), 401)
    assert not Run.objects.exists()


def test_a_github_delivery_sent_again_under_a_new_id_starts_nothing(org: Organization) -> None:
    # GitHub signs neither a time nor its delivery id: whoever saw one delivery (its "Recent
    # deliveries" page shows them) must not start the runs again by changing the id.
    secret = TriggerState.objects.get(organization=org, key="github-pushes").secret
    body = body_of({"ref": "refs/heads/main"})
    first = deliver(body, endpoint="github-pushes", **_github(secret, body, "guid-1", 0))
    again = deliver(body, endpoint="github-pushes", **_github(secret, body, "guid-2", 0))
    headers = _github(secret, body, "", 0)
    del headers["HTTP_X_GITHUB_DELIVERY"]
    without_id = deliver(body, endpoint="github-pushes", **headers)

    assert first.status_code == again.status_code == without_id.status_code == 202
    assert again.json() == first.json() == without_id.json()
    assert Run.objects.count() == 1


def test_a_signature_past_ascii_is_refused_not_an_error(org: Organization) -> None:
    body = body_of({"type": "t", "marker": "m"})
    response = deliver(
        body,
        endpoint="svix-events",
        HTTP_WEBHOOK_ID="msg_1",
        HTTP_WEBHOOK_TIMESTAMP=str(int(time.time())),
        HTTP_WEBHOOK_SIGNATURE="v1,\u00e9\u00e9\u00e9\u00e9",
    )
    assert_error(response, 401)
    assert not Run.objects.exists()


def test_each_organization_has_its_own_sender_secret(admin: APIClient, org: Organization) -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")
    acme_admin = api_client(acme, "admin")
    acme_secret = TriggerState.objects.get(organization=acme, key="svix-events").secret
    body = body_of({"type": "t", "marker": "for-acme"})

    answer = deliver(body, endpoint="svix-events", **_standard(acme_secret, body, "m", time.time()))

    assert answer.status_code == 202, answer.content
    assert Run.objects.get().organization == acme
    # the same delivery id in another organization is another delivery
    ours = TriggerState.objects.get(organization=org, key="svix-events").secret
    mine = deliver(body, endpoint="svix-events", **_standard(ours, body, "m", time.time()))
    assert mine.status_code == 202 and Run.objects.filter(organization=org).count() == 1
    # two organizations may not share a secret: a delivery would not know where to go
    stripe_secret = {"secret": STRIPE_SECRET}
    set_here = admin.post("/api/triggers/stripe-events/secret", stripe_secret, format="json")
    assert set_here.status_code == 200, set_here.content
    shared = acme_admin.post("/api/triggers/stripe-events/secret", stripe_secret, format="json")
    assert "another organization" in assert_error(shared, 400)["message"]
    assert TriggerState.objects.get(organization=acme, key="stripe-events").secret == ""


@pytest.mark.parametrize("body", ["null", "[]", "false", "0", '""', '{"secret": null}'])
def test_a_secret_body_that_is_not_an_object_rotates_nothing(
    admin: APIClient, org: Organization, body: str
) -> None:
    before = TriggerState.objects.get(organization=org, key="github-pushes").secret
    response = admin.post(
        "/api/triggers/github-pushes/secret", data=body, content_type="application/json"
    )
    assert_error(response, 400)
    assert TriggerState.objects.get(organization=org, key="github-pushes").secret == before


def test_githubs_published_example_signature_is_accepted(org: Organization) -> None:
    # GitHub's documentation signs "Hello, World!" with "It's a Secret to Everybody".
    secret = "It's a Secret to Everybody"
    TriggerState.objects.filter(organization=org, key="github-pushes").update(secret=secret)
    signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

    response = deliver(
        b"Hello, World!", endpoint="github-pushes", HTTP_X_HUB_SIGNATURE_256=signature
    )

    # proven, then refused as a body that is not JSON: the signature was accepted
    assert response.status_code == 400, response.content
    assert not Run.objects.exists()


def test_svix_header_names_are_read_as_the_standard_ones(org: Organization) -> None:
    secret = TriggerState.objects.get(organization=org, key="svix-events").secret
    body = body_of({"type": "user.created", "marker": "svix-names"})
    headers = _standard(secret, body, "msg_2Kx", time.time())
    svix = {name.replace("HTTP_WEBHOOK_", "HTTP_SVIX_"): value for name, value in headers.items()}

    assert deliver(body, endpoint="svix-events", **svix).status_code == 202
    assert Run.objects.get().trigger_raw["delivery_id"] == "msg_2Kx"


def test_the_generated_standard_webhooks_secret_is_one_the_senders_library_takes(
    org: Organization,
) -> None:
    secret = TriggerState.objects.get(organization=org, key="svix-events").secret
    assert secret.startswith("whsec_")
    body = body_of({"type": "t", "marker": "m"})
    headers = _standard(secret, body, "msg_1", time.time())
    # the library's own verification of what the library signed with the generated secret
    plain = {name.removeprefix("HTTP_").replace("_", "-").lower(): v for name, v in headers.items()}
    assert StandardWebhook(secret).verify(body, plain) == json.loads(body)


# -- the secret: shown to admins, set from the sender, rotated --------------------------------


@pytest.fixture
def admin(org: Organization) -> APIClient:
    return api_client(org, "admin")


def test_stripe_refuses_every_delivery_until_its_signing_secret_is_set(
    admin: APIClient, org: Organization
) -> None:
    body = body_of({"id": "evt_1", "type": "invoice.paid"})
    refused = deliver(
        body, endpoint="stripe-events", **_stripe(STRIPE_SECRET, body, "", time.time())
    )
    assert "no Stripe signing secret yet" in assert_error(refused, 401)["message"]
    row = admin.get("/api/triggers/stripe-events").json()
    assert row["verify"] == "stripe" and row["secret"] == ""
    assert assert_error(admin.post("/api/triggers/stripe-events/secret", {}, format="json"), 409)

    answer = admin.post(
        "/api/triggers/stripe-events/secret", {"secret": STRIPE_SECRET}, format="json"
    )

    assert answer.status_code == 200, answer.content
    assert answer.json()["secret"] == STRIPE_SECRET
    delivered = deliver(
        body, endpoint="stripe-events", **_stripe(STRIPE_SECRET, body, "", time.time())
    )
    assert delivered.status_code == 202, delivered.content
    audit = AuditEvent.objects.get(action="trigger.secret", target="stripe-events")
    assert STRIPE_SECRET not in json.dumps(
        {f.name: str(getattr(audit, f.name)) for f in audit._meta.fields}
    )


@pytest.mark.parametrize(
    ("slug", "secret", "words"),
    [
        ("stripe-events", "sk_live_not_a_webhook_secret", "whsec_"),
        ("stripe-events", "whsec_short", "whsec_"),
        ("svix-events", "whsec_not base64!", "base64"),
        ("svix-events", "whsec_" + "QUJD", "24 to 64"),
        ("github-pushes", "short", "at least 16"),
        ("github-pushes", "x" * 201, "at most 200"),
        ("orders", "has spaces in it, so no URL", "URL"),
    ],
)
def test_a_secret_of_the_wrong_form_is_refused_naming_the_form(
    admin: APIClient, org: Organization, slug: str, secret: str, words: str
) -> None:
    before = TriggerState.objects.get(organization=org, key=slug).secret

    response = admin.post(f"/api/triggers/{slug}/secret", {"secret": secret}, format="json")

    error = assert_error(response, 400)
    assert error["message"].startswith("secret: ") and words in error["message"]
    assert TriggerState.objects.get(organization=org, key=slug).secret == before


def test_rotating_a_secret_refuses_the_old_one(admin: APIClient, org: Organization) -> None:
    old = TriggerState.objects.get(organization=org, key="svix-events").secret
    rotated = admin.post("/api/triggers/svix-events/secret", {}, format="json")
    assert rotated.status_code == 200, rotated.content
    new = rotated.json()["secret"]
    assert new != old and new.startswith("whsec_")

    body = body_of({"type": "t", "marker": "m"})
    stale_secret = deliver(body, endpoint="svix-events", **_standard(old, body, "m1", time.time()))
    assert_error(stale_secret, 401)
    fresh = deliver(body, endpoint="svix-events", **_standard(new, body, "m2", time.time()))
    assert fresh.status_code == 202


def test_only_admins_see_or_change_a_webhooks_secret(org: Organization) -> None:
    for role in ("viewer", "operator"):
        client = api_client(org, role)
        row = client.get("/api/triggers/github-pushes").json()
        assert row["verify"] == "github" and row["secret"] is None
        assert "token=" not in row["url"]
        assert all(r["secret"] is None for r in client.get("/api/triggers").json()["results"])
        assert_error(
            client.post("/api/triggers/github-pushes/secret", {"secret": "x" * 20}, format="json"),
            403,
        )
    assert not AuditEvent.objects.filter(action="trigger.secret").exists()
    admin_row = api_client(org, "admin").get("/api/triggers/github-pushes").json()
    assert (
        admin_row["secret"]
        == TriggerState.objects.get(organization=org, key="github-pushes").secret
    )
    assert "token=" not in admin_row["url"]  # GitHub signs; a token would not be accepted


def test_an_attachment_or_a_schedule_has_no_secret_to_set(admin: APIClient) -> None:
    assert_error(admin.post("/api/triggers/orders:approval/secret", {}, format="json"), 409)
    assert_error(admin.post("/api/triggers/nightly/secret", {}, format="json"), 409)
    assert_error(admin.post("/api/triggers/nope/secret", {}, format="json"), 404)
    bad = admin.post("/api/triggers/orders/secret", {"secret": 5}, format="json")
    assert "secret" in assert_error(bad, 400)["details"]


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(sorted(SCHEMES)),
    headers=st.dictionaries(
        st.sampled_from(
            [
                "webhook-id",
                "webhook-timestamp",
                "webhook-signature",
                "svix-signature",
                "X-Hub-Signature-256",
                "X-GitHub-Delivery",
                "Stripe-Signature",
                "X-Keystroke-Signature",
            ]
        ),
        st.text(max_size=120),
    ),
    body=st.binary(max_size=200),
    fresh=st.booleans(),
)
def test_any_headers_without_the_secret_are_refused_plainly(
    scheme: str, headers: dict[str, str], body: bytes, fresh: bool
) -> None:
    if fresh:  # a timestamp inside the window, so the signatures themselves are read
        now = int(time.time())
        headers = headers | {"webhook-timestamp": str(now)}
        for name in ("Stripe-Signature", "X-Keystroke-Signature"):
            headers[name] = f"t={now},{headers.get(name, '')}"
    delivery = Delivery(headers, {}, body, time.time())
    with pytest.raises(Unauthorized) as refused:
        SCHEMES[scheme].prove("w", delivery, [SCHEMES["standard-webhooks"].new_secret()])
    assert str(refused.value)
