"""How hook tokens are masked for viewers: escaped, glued to other hex, cut short, searched for, in
the admin.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from history.hook_tokens import cut
from history.models import Membership, Organization, Run, Step
from history.models.accounts import Role

from ..conftest import api_client
from ..factories import make_hook, make_run, member

pytestmark = pytest.mark.django_db

TOKEN = "0123456789abcdef" * 2 + "01234567"


def hooked_run(org: Organization, **fields: object) -> Run:
    run = make_run(org, **{"status": "waiting", **fields})
    make_hook(run, TOKEN)
    return run


@pytest.mark.parametrize("before", ["\x1e", "\x0b", "%252F", "\\u002f", "\\u00a0", "é", "0x", "ab"])
def test_a_token_glued_to_an_escape_or_other_hex_is_masked(org: Organization, before: str) -> None:
    run = hooked_run(org, output={"note": f"code:{before}{TOKEN}"})
    viewer = member(org, Role.VIEWER)
    for body in (
        api_client(org, Role.VIEWER).get(f"/api/runs/{run.public_id}").content.decode(),
        viewer.get(f"/history/{run.public_id}/?tab=overview").content.decode(),
        viewer.get(f"/history/{run.public_id}/payload/output/?format=json").content.decode(),
        viewer.get(f"/history/{run.public_id}/payload/output/?format=yaml").content.decode(),
    ):
        assert TOKEN not in body.lower()


@pytest.mark.parametrize(
    "shape", ["\\/hooks\\/{}", "%2Fhooks%2F{}", "%252Fhooks%252F{}", "/HOOKS/{}"]
)
def test_an_escaped_resume_url_is_masked_even_for_a_token_the_database_does_not_know(
    org: Organization, shape: str
) -> None:
    other = "f" * 40
    run = hooked_run(org, output={"link": "https://k.example" + shape.format(other)})
    body = api_client(org, Role.VIEWER).get(f"/api/runs/{run.public_id}").content.decode()
    assert other not in body


def test_a_preview_cut_inside_a_token_keeps_none_of_its_digits(org: Organization) -> None:
    pad = "x" * (1024 - len('{"url": "') - len("/hooks/") - 39)
    hooked_run(
        org,
        output={"url": f"{pad}/hooks/{TOKEN}"},
        error={"type": "X", "message": "y" * 1000 + TOKEN},
    )
    listed = api_client(org, Role.OPERATOR).get("/api/runs").json()["results"][0]
    assert listed["output"]["truncated"] and listed["output"]["preview"].endswith("/hooks/")
    assert listed["error"]["message"] == "y" * 1000, "the cut message loses the digits it ended in"
    assert (
        cut("abc " + TOKEN, 10) == "abc "
        and cut("abc xyz", 5) == "abc x"
        and cut("abc", 5) == "abc"
    )


def test_a_viewer_cannot_spell_a_token_out_through_the_search(org: Organization) -> None:
    run = hooked_run(
        org,
        status="failed",
        error={"type": "X", "message": f"chat refused https://k.example/hooks/{TOKEN}"},
    )
    viewer, operator = api_client(org, Role.VIEWER), api_client(org, Role.OPERATOR)
    page_viewer = member(org, Role.VIEWER)
    assert len(viewer.get("/api/runs", {"q": "chat refused"}).json()["results"]) == 1
    for prefix in ("hooks/0", TOKEN[:8], TOKEN):
        assert viewer.get("/api/runs", {"q": prefix}).json()["results"] == [], prefix
        assert run.public_id not in page_viewer.get("/history/", {"q": prefix}).content.decode(), (
            prefix
        )
    assert run.public_id in page_viewer.get("/history/", {"q": "chat refused"}).content.decode()
    assert len(operator.get("/api/runs", {"q": TOKEN[:8]}).json()["results"]) == 1


def test_the_admin_which_shows_hook_tokens_is_for_admins_and_superusers_only(
    org: Organization,
) -> None:
    run = hooked_run(org)
    pages = (
        "/admin/",
        f"/admin/history/run/{run.pk}/change/",
        f"/admin/history/step/?token__startswith={TOKEN[:4]}",
    )
    organization_admin = member(org, Role.ADMIN, staff=True)
    assert all(organization_admin.get(path).status_code == 200 for path in pages)
    for role in (Role.VIEWER, Role.OPERATOR):
        staff_member = member(org, role, staff=True)
        for path in pages:
            response = staff_member.get(path)
            assert response.status_code == 302 and response["Location"].startswith(
                "/admin/login/"
            ), (role, path)
    superuser = User.objects.create_superuser("root", password="pw-12345678")
    # a membership changes nothing
    Membership.objects.create(user=superuser, organization=org, role=Role.VIEWER)
    client = Client()
    client.force_login(superuser)
    assert all(client.get(path).status_code == 200 for path in pages)


def test_a_list_previews_a_raw_trigger_value_and_trace_attributes_and_skips_related_payloads(
    org: Organization,
) -> None:
    parent = Run.objects.create(
        organization=org, project=org.default_project(), slug="greeting", input={"p": "z" * 9000}
    )
    Run.objects.create(
        organization=org,
        project=org.default_project(),
        slug="greeting",
        parent=parent,
        trigger_raw={"items": ["y" * 1000] * 500},
        output=None,
    )
    with CaptureQueriesContext(connection) as queries:
        response = api_client(org, Role.VIEWER).get("/api/runs?include=trigger,trace")
    listed = response.json()["results"][0]
    assert len(response.content) < 20_000
    assert listed["trigger"]["raw"]["truncated"] and listed["trigger"]["raw"]["size"] > 500_000
    assert listed["output"] is None and listed["parent_id"] == parent.public_id
    runs_query = next(
        q["sql"] for q in queries.captured_queries if 'FROM "history_run"' in q["sql"]
    )
    joined_payloads = re.findall(
        r'"T\d+"\."(?:input|output|error|conversation|trigger_raw)"', runs_query
    )
    assert joined_payloads == [], "the parent's and the original's payloads are not fetched"


def test_a_streamed_answer_is_masked_even_where_a_chunk_ends_inside_a_token(
    org: Organization,
) -> None:
    from django.http import StreamingHttpResponse
    from django.test import RequestFactory

    from history.middleware import HideHookTokensMiddleware

    hooked_run(org)
    text = f"first code {TOKEN} then https://k.example/hooks/{TOKEN} é\n" * 3
    # cuts tokens and é
    chunks = [text.encode()[i : i + 7] for i in range(0, len(text.encode()), 7)]
    request = RequestFactory().get("/history/export.csv")
    request.user = User.objects.create_user("streamer")  # no membership: below operator

    def streamed(_: object) -> StreamingHttpResponse:
        response = StreamingHttpResponse(iter(chunks), content_type="text/csv")
        response["Content-Length"] = str(len(text.encode()))
        return response

    response = HideHookTokensMiddleware(streamed)(request)
    body = b"".join(response.streaming_content).decode()
    assert TOKEN not in body and body.count("[hidden from viewers]") == 6
    assert body.replace("[hidden from viewers]", TOKEN) == text, (
        "everything else, é included, is unchanged"
    )
    assert not response.has_header("Content-Length"), "the length changed"


def test_bytes_of_any_encoding_pass_unchanged_around_a_masked_token(org: Organization) -> None:
    from django.http import HttpResponse
    from django.test import RequestFactory

    from history.middleware import HideHookTokensMiddleware

    hooked_run(org)
    raw = b"\xff\xfe\x00\x81 " + TOKEN.encode() + b" \xc3\xa9\x80"
    request = RequestFactory().get("/history/export.xlsx")
    request.user = User.objects.create_user("reader")
    middleware = HideHookTokensMiddleware(
        lambda _: HttpResponse(raw, content_type="application/vnd.ms-excel")
    )
    assert middleware(request).content == raw.replace(TOKEN.encode(), b"[hidden from viewers]")


def test_a_listed_step_without_output_shows_none_whether_stored_as_sql_or_json_null(
    org: Organization,
) -> None:
    from django.db.models import JSONField, Value

    run = Run.objects.create(organization=org, project=org.default_project(), slug="greeting")
    for position in (0, 1):
        Step.objects.create(
            run=run,
            position=position,
            step_id=f"step:s#{position}",
            kind="action",
            status="running",
        )
    # JSON null
    Step.objects.filter(run=run, position=1).update(output=Value(None, output_field=JSONField()))
    assert Step.objects.filter(run=run, output__isnull=True).count() == 1, (
        "one SQL NULL, one JSON null"
    )
    listed = (
        api_client(org, Role.VIEWER).get("/api/runs?include=steps").json()["results"][0]["steps"]
    )
    assert [step["output"] for step in listed] == [None, None]


def test_masking_costs_linear_time_on_long_runs_of_backslashes_hex_or_hook_paths() -> None:
    import subprocess
    import sys

    # An unbounded \\* before "/hooks" scanned a run of backslashes from each of its starts:
    # 0.24 s for 20,000 of them, so minutes for the million here; linear, it takes a second.
    texts = (
        '["\\\\" * 1_000_000 + "/hooks/x", "/hooks/" * 150_000, "ab" * 500_000, "%2fhooks%2f" '
        "* 90_000]"
    )
    script = (
        "from history.hook_tokens import candidates, hide_in_text\n"
        f"for t in {texts}: hide_in_text(t, candidates(t))\nprint('done')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "done", done.stderr[-2000:]


def test_a_megabytes_long_hex_blob_is_masked_whole_without_making_its_windows() -> None:
    import subprocess
    import sys

    # Making every 40-digit window of 4 MB of hex held about 500 MB before the limit was checked.
    script = (
        "import resource, secrets\nfrom history.hook_tokens import candidates, hide_in_text\n"
        "blob = secrets.token_hex(2_000_000)\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\nfound = candidates(blob)\n"
        "assert found is None and hide_in_text(blob, found) == '[hidden from viewers]'\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) < 100, f"{done.stdout.strip()} MB more"
