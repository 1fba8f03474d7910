"""The Trace tab's Raw spans: the run's spans as stored, as JSON or YAML with a Copy button,
loaded only when the disclosure opens, at most 500 of them with a link to the whole export."""

from __future__ import annotations

import html
import json
import re

import pytest
import yaml
from django.test import Client

from history.models import Organization, Run
from history.trace_export import RAW_SPANS

from ..factories import make_run, member
from .test_trace_big_run import big_run  # noqa: F401 (a fixture)
from .trace_runs import investigated_run, span

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("span")</script>'


@pytest.fixture
def alice(org: Organization) -> Client:
    return member(org, name="alice")


def code(fragment: str, fmt: str) -> str:
    found = re.search(
        rf'<code class="language-{fmt}" data-format="{fmt}">(.*?)</code>', fragment, re.S
    )
    assert found is not None, f"no {fmt} block"
    return html.unescape(found.group(1))


def test_the_tab_lazy_loads_the_raw_spans_when_opened(alice: Client, org: Organization) -> None:
    run = investigated_run(org)
    tab = alice.get(f"/history/{run.public_id}/?tab=trace").content.decode()
    assert f'hx-get="/history/{run.public_id}/trace/spans/"' in tab
    assert "Raw spans" in tab and '"span_id"' not in tab, "the spans come with the fragment"


def test_the_raw_spans_show_as_json_and_yaml_with_copy_and_escape_names(
    alice: Client, org: Organization
) -> None:
    run = investigated_run(org)
    root = run.spans.filter(parent_span_id="").first()
    span(run, HOSTILE, 60, 61, root)
    fragment = alice.get(f"/history/{run.public_id}/trace/spans/").content.decode()
    assert "data-copy" in fragment and 'data-format="yaml"' in fragment
    assert HOSTILE not in fragment and "&lt;script&gt;" in fragment
    shown = json.loads(code(fragment, "json"))
    stored = list(run.spans.order_by("started_at", "id").values_list("span_id", flat=True))
    assert [s["span_id"] for s in shown] == stored
    assert shown[-1]["name"] == HOSTILE
    assert yaml.safe_load(code(fragment, "yaml")) == shown
    assert "The first" not in fragment, "every span is shown"


def test_a_big_runs_raw_spans_are_capped_with_a_link_to_them_all(
    big_run: Run,  # noqa: F811
    django_assert_num_queries,
) -> None:
    alice = member(Organization.objects.get(pk=big_run.organization_id), name="alice")
    url = f"/history/{big_run.public_id}/trace/spans/"
    alice.get(url)  # warms the session
    # session, user, membership, run; the first spans
    with django_assert_num_queries(5):
        response = alice.get(url)
    fragment = response.content.decode()
    assert response.status_code == 200
    assert f"The first {RAW_SPANS} spans of the run" in fragment
    whole = f"/history/{big_run.public_id}/trace/download/?format="
    assert f'href="{whole}json"' in fragment and f'href="{whole}yaml"' in fragment
    assert len(json.loads(code(fragment, "json"))) == RAW_SPANS


def test_the_whole_trace_downloads_as_yaml(alice: Client, org: Organization) -> None:
    run = investigated_run(org)
    response = alice.get(f"/history/{run.public_id}/trace/download/?format=yaml")
    assert response.status_code == 200 and response["Content-Type"] == "application/yaml"
    document = yaml.safe_load(response.content)
    assert len(document["spans"]) == run.spans.count()


def test_a_run_without_spans_and_another_organizations_run(
    alice: Client, org: Organization
) -> None:
    run = make_run(org)
    fragment = alice.get(f"/history/{run.public_id}/trace/spans/").content.decode()
    assert "No spans were recorded" in fragment
    other = Organization.objects.create(name="Other", slug="other")
    theirs = make_run(other)
    assert alice.get(f"/history/{theirs.public_id}/trace/spans/").status_code == 404
