"""The filter bar's workflow and agent choices: the registry's and those the organization has
run, never read from the runs themselves."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from history.choices import workflow_choices
from history.models import Organization, Run, RunSlug
from workflows import store
from workflows.registry import registry
from workflows.store import slugs as store_slugs

from ..factories import api_origin, make_run, member

pytestmark = pytest.mark.django_db

fill = importlib.import_module("history.migrations.0024_fill_run_slugs")
# A workflow a deploy removed: its runs stay, the registry no longer holds it.
RETIRED = SimpleNamespace(kind="workflow", slug="retired-export", timeout=None)


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    """No slug remembered from another test: neither the cached choices nor the store's set."""
    cache.clear()
    saved = set(store_slugs._recorded)
    store_slugs._recorded.clear()
    yield
    cache.clear()
    store_slugs._recorded.clear()
    store_slugs._recorded.update(saved)


def submit(workflow: Any, org: Organization) -> Run:
    with transaction.atomic():
        return store.create_run_txn(workflow, {}, api_origin(org))


def test_a_slug_the_registry_dropped_stays_a_choice_while_others_slugs_never_show(
    org: Organization,
) -> None:
    submit(RETIRED, org)
    other = Organization.objects.create(slug="acme", name="Acme")
    submit(SimpleNamespace(kind="agent", slug="acme-secret", timeout=None), other)
    assert registry.workflow(RETIRED.slug) is None

    body = member(org, name="alice").get("/history/").content.decode()

    assert f'<option value="{RETIRED.slug}">' in body
    assert "acme-secret" not in body
    assert '<option value="greeting">' in body, "the registry's, run or not"
    assert "acme-secret" in workflow_choices(other.pk)


def test_the_choices_cost_one_small_query_and_none_reads_the_runs(org: Organization) -> None:
    for _ in range(3):
        make_run(org, "made-directly")  # not through the store: not a choice
    submit(RETIRED, org)
    with CaptureQueriesContext(connection) as cold:
        choices = workflow_choices(org.pk)
    with CaptureQueriesContext(connection) as warm:
        assert workflow_choices(org.pk) == choices
    assert RETIRED.slug in choices and "made-directly" not in choices
    assert choices == sorted(choices) and {t.slug for t in registry.workflows()} <= set(choices)
    assert len(cold) == 1 and 'history_run"' not in cold[0]["sql"]
    assert len(warm) == 0, "cached"


def test_a_submit_records_its_slug_once_and_then_costs_no_extra_statement(
    org: Organization, django_capture_on_commit_callbacks: Any
) -> None:
    greeting = registry.workflow("greeting")
    counts = []
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            with CaptureQueriesContext(connection) as captured:
                submit(greeting, org)
        counts.append(len(captured))
    assert counts[0] == counts[1] + 1 == counts[2] + 1, counts
    assert list(RunSlug.objects.values_list("organization", "slug", "kind")) == [
        (org.pk, "greeting", "workflow")
    ]


def test_a_rolled_back_first_run_leaves_the_slug_for_the_next_one(org: Organization) -> None:
    greeting = registry.workflow("greeting")
    with transaction.atomic():
        store.create_run_txn(greeting, {}, api_origin(org))
        transaction.set_rollback(True)
    assert not RunSlug.objects.exists()
    submit(greeting, org)
    assert RunSlug.objects.filter(organization=org, slug="greeting").exists()


def test_the_migration_records_the_slugs_of_older_runs_from_the_index_alone(
    org: Organization,
) -> None:
    now = timezone.now()
    for days in (3, 1, 2):
        make_run(org, "signup-pipeline", created_at=now - timedelta(days=days))
    make_run(org, "support-triage", kind="agent")
    other = Organization.objects.create(slug="acme", name="Acme")
    make_run(other, "acme-only")
    RunSlug.objects.create(organization=org, slug="support-triage", kind="agent", first_seen=now)

    with CaptureQueriesContext(connection) as captured:
        fill.fill_run_slugs(apps, None)
    fill.fill_run_slugs(apps, None)  # again, after a rolling deploy: nothing doubled

    rows = {(r.organization_id, r.slug): (r.kind, r.first_seen) for r in RunSlug.objects.all()}
    assert rows == {
        (org.pk, "signup-pipeline"): ("workflow", now - timedelta(days=3)),
        (org.pk, "support-triage"): ("agent", now),
        (other.pk, "acme-only"): ("workflow", rows[other.pk, "acme-only"][1]),
    }
    # the organizations; per organization one lookup past its last slug; per slug three
    # statements (the next slug, its first run, the insert): none per run
    organizations = Organization.objects.count()
    assert len(captured) == 1 + organizations + 3 * 3
