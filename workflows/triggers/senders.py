"""How each kind of sender proves a webhook delivery: Keystroke's own ``?token=`` or
``X-Keystroke-Signature``, the Standard Webhooks spec (Svix and the services built on it), GitHub
and Stripe. A scheme knows its secret's form, its headers, its replay window and the delivery id
its sender repeats when it delivers an event again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import Unauthorized

_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_DELIVERY_ID = re.compile(r"[\x21-\x7e]{1,150}")  # printable ASCII: it becomes a delivery key
_URL_SAFE = re.compile(r"[A-Za-z0-9_\-.~]+")
_STRIPE_SECRET = re.compile(r"whsec_[A-Za-z0-9]{16,}")
SECRET_LIMIT = 200  # the state row's column
MIN_SECRET = 16


@dataclass(frozen=True)
class Delivery:
    """What a scheme reads of a request: its headers (any case), query and raw body."""

    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes
    now: float


@dataclass(frozen=True)
class Proof:
    """A delivery proven with ``secret``: how (``auth``), the keys a repeat of it carries (a
    redelivery's id, a replayed body's digest), and the sender's delivery id.
    """

    secret: str
    auth: str
    delivery_keys: tuple[str, ...] = ()
    delivery_id: str = ""


class Scheme:
    name = ""
    label = ""
    # Headers carrying the proof: they stay out of the run's raw trigger value.
    headers: tuple[str, ...] = ()
    tolerance: int | None = 300  # seconds a signed timestamp may be off; None: not signed
    sender_makes_secret = False  # the sender hands out the secret; Keystroke cannot make one
    secret_form = ""

    def new_secret(self) -> str:
        return "" if self.sender_makes_secret else secrets.token_urlsafe(32)

    def secret_error(self, secret: str) -> str:
        """Why ``secret`` cannot be this scheme's ("" when it can)."""
        if len(secret) > SECRET_LIMIT:
            return f"A secret is at most {SECRET_LIMIT} characters; this one has {len(secret)}."
        if len(secret) < MIN_SECRET or secret != secret.strip():
            return (
                f"A secret is at least {MIN_SECRET} characters with no spaces around it; "
                "a short one can be guessed."
            )
        return ""

    def prove(self, webhook: str, delivery: Delivery, candidates: list[str]) -> Proof:
        """The proof of ``delivery`` by one of ``candidates``; raises Unauthorized."""
        raise NotImplementedError

    def _check_age(self, header: str, timestamp: int, now: float) -> None:
        age = now - timestamp
        if self.tolerance is not None and abs(age) > self.tolerance:
            seconds = math.ceil(abs(age))
            when = f"{seconds} seconds old" if age > 0 else f"{seconds} seconds in the future"
            raise Unauthorized(
                f"The {header} timestamp is {when}; signatures are accepted within "
                f"{self.tolerance} seconds of now: sign each delivery when it is sent, with a "
                "clock in time."
            )

    def _no_match(self, webhook: str, header: str, how: str) -> Unauthorized:
        fix = (
            f"copy the signing secret from the sender into `keystroke triggers secret {webhook} "
            "--set`"
            if self.sender_makes_secret
            else f"`keystroke triggers secret {webhook}` prints the secret"
        )
        return Unauthorized(
            f"The {header} does not match the body: {how} and the webhook's secret ({fix})."
        )


def _delivery_id(header: str, value: str) -> str:
    if not _DELIVERY_ID.fullmatch(value):
        raise Unauthorized(f"{header} must be 1 to 150 printable ASCII characters.")
    return value


class KeystrokeScheme(Scheme):
    """``?token=<secret>``, or ``X-Keystroke-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
    "<t>.<raw body>">``.
    """

    name, label = "keystroke", "Keystroke"
    header = "X-Keystroke-Signature"
    headers = (header,)
    secret_form = "URL-safe characters (letters, digits, - _ . ~)"

    def secret_error(self, secret: str) -> str:
        if not _URL_SAFE.fullmatch(secret):
            return f"A Keystroke webhook secret goes in a URL: use {self.secret_form} only."
        return super().secret_error(secret)

    def prove(self, webhook: str, delivery: Delivery, candidates: list[str]) -> Proof:
        token = delivery.query.get("token", "")
        signature = delivery.headers.get(self.header, "")
        if token:
            for secret in candidates:
                if hmac.compare_digest(secret.encode(), token.encode()):
                    return Proof(secret, "token")
            raise Unauthorized(
                f"The token is not the secret of webhook {webhook}: "
                f"`keystroke triggers url {webhook}` prints the URL with it."
            )
        if signature:
            timestamp, digests = self.parse(signature)
            self._check_age(self.header, timestamp, delivery.now)
            signed = f"{timestamp}.".encode() + delivery.body
            for secret in candidates:
                expected = _hmac_hex(secret, signed).encode()
                if any(hmac.compare_digest(expected, digest) for digest in digests):
                    # A replay may spell the header differently (spaces, order, another v0=)
                    # while it proves the same thing: the key is what the signature signs.
                    return Proof(secret, "signature", (_signed_key(signed),))
            raise self._no_match(webhook, self.header, "sign '<t>.<raw body>' with HMAC-SHA256")
        raise Unauthorized(
            f"Webhook {webhook} needs its secret: add ?token=<secret> (`keystroke triggers url "
            f"{webhook}`) or sign the body with the {self.header} header."
        )

    def sign(self, secret: str, body: bytes, timestamp: int) -> str:
        return f"t={timestamp},v1={_hmac_hex(secret, f'{timestamp}.'.encode() + body)}"

    def parse(self, signature: str) -> tuple[int, list[bytes]]:
        timestamp, digests = _timestamp_and_v1(signature)
        if timestamp is None or not digests:
            raise Unauthorized(
                f"{self.header} must look like t=<unix seconds>,v1=<hex HMAC-SHA256>."
            )
        return timestamp, digests


class StandardWebhooksScheme(Scheme):
    """The Standard Webhooks spec (standardwebhooks.com), which Svix sends: ``webhook-id``,
    ``webhook-timestamp`` and ``webhook-signature: v1,<base64 HMAC-SHA256 of
    "<id>.<timestamp>.<body>">``, keyed by the base64 after ``whsec_``. Svix's ``svix-*`` names of
    the same headers are read too.
    """

    name, label = "standard-webhooks", "Standard Webhooks"
    headers = ("webhook-signature", "svix-signature")
    secret_form = "whsec_ and the base64 of 24 to 64 random bytes"

    def new_secret(self) -> str:
        return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()

    def secret_error(self, secret: str) -> str:
        if len(secret) > SECRET_LIMIT:
            return super().secret_error(secret)
        key = _whsec_key(secret)
        if key is None or not 24 <= len(key) <= 64:
            return f"A Standard Webhooks secret is {self.secret_form}, as the sender shows it."
        return ""

    def prove(self, webhook: str, delivery: Delivery, candidates: list[str]) -> Proof:
        msg_id, stamp, signature = (
            _standard_header(delivery.headers, name) for name in ("id", "timestamp", "signature")
        )
        if not (msg_id and stamp and signature):
            raise Unauthorized(
                f"Webhook {webhook} takes Standard Webhooks deliveries: webhook-id, "
                "webhook-timestamp and webhook-signature headers are all needed."
            )
        msg_id = _delivery_id("webhook-id", msg_id)
        if not (stamp.isdecimal() and len(stamp) <= 12):
            raise Unauthorized("webhook-timestamp must be the unix time in seconds.")
        self._check_age("webhook-timestamp", int(stamp), delivery.now)
        given = []
        for part in signature.split(" "):
            version, _, value = part.partition(",")
            if version == "v1":
                try:
                    given.append(base64.b64decode(value, validate=True))
                except ValueError:  # binascii.Error, or characters past ASCII
                    continue
        signed = f"{msg_id}.{stamp}.".encode() + delivery.body
        for secret in candidates:
            key = _whsec_key(secret)
            if key is None:
                continue
            expected = hmac.new(key, signed, hashlib.sha256).digest()
            if any(hmac.compare_digest(expected, digest) for digest in given):
                return Proof(secret, self.name, (f"webhook-id:{msg_id}",), msg_id)
        if not any(_whsec_key(secret) for secret in candidates):
            raise Unauthorized(
                f"Webhook {webhook}'s secret is not a Standard Webhooks one ({self.secret_form}): "
                f"`keystroke triggers secret {webhook} --rotate` makes one, or --set the sender's."
            )
        raise self._no_match(
            webhook, "webhook-signature", "sign '<id>.<timestamp>.<body>' with HMAC-SHA256"
        )


class GitHubScheme(Scheme):
    """GitHub's ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>``; the secret is the
    one typed into the webhook's settings. GitHub signs neither a time nor ``X-GitHub-Delivery``
    (which a redelivery repeats), so a body seen before starts nothing either: anyone who saw one
    delivery could otherwise send it again under a new id.
    """

    name, label = "github", "GitHub"
    header = "X-Hub-Signature-256"
    headers = (header, "X-Hub-Signature")
    tolerance = None
    secret_form = f"at least {MIN_SECRET} characters, the same in GitHub's webhook settings"

    def prove(self, webhook: str, delivery: Delivery, candidates: list[str]) -> Proof:
        signature = delivery.headers.get(self.header, "")
        if not signature:
            raise Unauthorized(
                f"Webhook {webhook} takes GitHub deliveries, signed in {self.header}: set the "
                "webhook's secret in GitHub (`keystroke triggers secret "
                f"{webhook}` prints it)."
            )
        algorithm, _, digest = signature.partition("=")
        if algorithm != "sha256" or not _HEX_DIGEST.fullmatch(digest):
            raise Unauthorized(f"{self.header} must look like sha256=<hex HMAC-SHA256>.")
        guid = delivery.headers.get("X-GitHub-Delivery", "")
        guid = _delivery_id("X-GitHub-Delivery", guid) if guid else ""
        for secret in candidates:
            expected = _hmac_hex(secret, delivery.body)
            if hmac.compare_digest(expected.encode(), digest.lower().encode()):
                keys = (f"github-delivery:{guid}",) if guid else ()
                return Proof(secret, self.name, (*keys, _signed_key(delivery.body)), guid)
        raise self._no_match(webhook, self.header, "GitHub signs the body with HMAC-SHA256")


class StripeScheme(Scheme):
    """Stripe's ``Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``, keyed
    by the endpoint's ``whsec_`` signing secret from Stripe. Stripe signs a retry anew; the event's
    ``id`` in the body is what it repeats.
    """

    name, label = "stripe", "Stripe"
    header = "Stripe-Signature"
    headers = (header,)
    sender_makes_secret = True
    secret_form = "whsec_ and letters and digits, from the endpoint's page in Stripe"

    def secret_error(self, secret: str) -> str:
        if not _STRIPE_SECRET.fullmatch(secret) or len(secret) > SECRET_LIMIT:
            return f"A Stripe signing secret is {self.secret_form}."
        return ""

    def prove(self, webhook: str, delivery: Delivery, candidates: list[str]) -> Proof:
        signature = delivery.headers.get(self.header, "")
        if not signature:
            raise Unauthorized(
                f"Webhook {webhook} takes Stripe deliveries, signed in {self.header}."
            )
        timestamp, digests = _timestamp_and_v1(signature)
        if timestamp is None or not digests:
            raise Unauthorized(
                f"{self.header} must look like t=<unix seconds>,v1=<hex HMAC-SHA256>."
            )
        self._check_age(self.header, timestamp, delivery.now)
        signed = f"{timestamp}.".encode() + delivery.body
        for secret in candidates:
            expected = _hmac_hex(secret, signed).encode()
            if any(hmac.compare_digest(expected, digest) for digest in digests):
                event = _stripe_event_id(delivery.body)
                # an event without an id (none that Stripe sends) is known by what was signed
                key = f"stripe-event:{event}" if event else _signed_key(signed)
                return Proof(secret, self.name, (key,), event)
        raise self._no_match(webhook, self.header, "Stripe signs '<t>.<body>' with HMAC-SHA256")


SCHEMES: dict[str, Scheme] = {
    scheme.name: scheme
    for scheme in (KeystrokeScheme(), StandardWebhooksScheme(), GitHubScheme(), StripeScheme())
}
# Every scheme's proof headers, dropped from raw trigger values whichever scheme a webhook uses.
PROOF_HEADERS = frozenset(name.lower() for s in SCHEMES.values() for name in s.headers)


def _signed_key(signed: bytes) -> str:
    """The delivery key of what a signature signs: a replay of it, however spelled, repeats it."""
    return f"signature:{hashlib.sha256(signed).hexdigest()}"


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _timestamp_and_v1(signature: str) -> tuple[int | None, list[bytes]]:
    """``t=`` (exactly one, decimal) and the well-formed ``v1=`` digests of a signature header."""
    parts = [part.strip().partition("=") for part in signature.split(",")]
    stamps = [value for key, _, value in parts if key == "t"]
    digests = [
        value.lower().encode()
        for key, _, value in parts
        if key == "v1" and _HEX_DIGEST.fullmatch(value)
    ]
    if len(stamps) != 1 or not (stamps[0].isdecimal() and len(stamps[0]) <= 12):
        return None, digests
    return int(stamps[0]), digests


def _whsec_key(secret: str) -> bytes | None:
    if not secret.startswith("whsec_"):
        return None
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True) or None
    except ValueError:  # binascii.Error, or characters past ASCII
        return None


def _standard_header(headers: Mapping[str, str], name: str) -> str:
    """``webhook-<name>``, or Svix's ``svix-<name>``."""
    return headers.get(f"webhook-{name}", "") or headers.get(f"svix-{name}", "")


def _stripe_event_id(body: bytes) -> str:
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        return ""
    event_id = event.get("id") if isinstance(event, dict) else None
    return event_id if isinstance(event_id, str) and _DELIVERY_ID.fullmatch(event_id) else ""
