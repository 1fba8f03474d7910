"""Trigger state rows and the defaults are made ahead of any read: by migrate (and again after a
flush), with a new organization, and by the beat for a trigger defined since.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.management import call_command
from pydantic import BaseModel

from history.models import Organization, TriggerState
from workflows import tasks
from workflows.registry import Registry, registry
from workflows.triggers.definitions import Webhook
from workflows.triggers.senders import SCHEMES

pytestmark = pytest.mark.django_db


class Event(BaseModel):
    name: str


def defined() -> dict[str, bool]:
    """Every trigger's and attachment's key, and whether its row holds a secret: webhooks do, but
    for those whose sender makes it (Stripe's is set once Stripe shows it)."""
    found = {}
    for trigger in registry.triggers.values():
        found[trigger.slug] = (
            isinstance(trigger, Webhook) and not SCHEMES[trigger.verify].sender_makes_secret
        )
        found |= {attachment.id: False for attachment in trigger.attachments}
    return found


def rows_of(org: Organization) -> dict[str, str]:
    return dict(TriggerState.objects.filter(organization=org).values_list("key", "secret"))


def test_migrate_gave_the_default_organization_a_row_for_each_trigger_and_attachment(
    org: Organization,
) -> None:
    rows = rows_of(org)
    assert set(defined()) <= set(rows)
    assert {key: bool(rows[key]) for key in defined()} == defined(), "webhooks have secrets"


def test_a_new_organization_gets_its_default_project_and_its_own_trigger_rows(
    org: Organization,
) -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")
    assert acme.default_project().organization == acme
    rows = rows_of(acme)
    assert set(rows) == set(defined())
    assert rows["orders"] and rows["orders"] != rows_of(org)["orders"]


@pytest.mark.django_db(transaction=True)  # the beat task closes a connection in a transaction
def test_the_beat_makes_the_rows_of_a_trigger_defined_since_migrate(
    scratch_registry: Registry,
) -> None:
    from workflows.sdk import define_webhook

    acme = Organization.objects.create(slug="acme", name="Acme")
    define_webhook(slug="late", endpoint="late", payload=Event)
    assert not TriggerState.objects.filter(key="late").exists()
    with mock.patch.object(tasks.poll_trigger, "delay"):  # the polls are another test's business
        tasks.fire_triggers()
    for org in (Organization.objects.default(), acme):
        assert TriggerState.objects.get(organization=org, key="late").secret


@pytest.mark.django_db(transaction=True)
def test_a_flush_as_transactional_tests_do_leaves_the_defaults_and_the_trigger_rows() -> None:
    call_command("flush", interactive=False, verbosity=0)
    org = Organization.objects.default()
    assert org.default_project().slug == "default"
    assert set(defined()) <= set(rows_of(org))
