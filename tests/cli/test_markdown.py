"""``keystroke history markdown <run-id>``: a run as Markdown on stdout, refusals on stderr."""

from __future__ import annotations

import pytest

from history.models import Organization, Step

from ..factories import make_run
from .conftest import Cli

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_prints_a_run_as_markdown(cli: Cli) -> None:
    run = make_run(
        Organization.objects.default(),
        status="failed",
        input={"email": "ada@acme.io"},
        error={"type": "ValueError", "message": "no such plan", "step_id": "step:charge#0"},
    )
    Step.objects.create(
        run=run, position=0, step_id="step:charge#0", kind="action", status="failed"
    )
    printed = cli.ok("history", "markdown", run.public_id).stdout
    assert printed.startswith(f"# greeting · {run.public_id}\n")
    assert '"email": "ada@acme.io"' in printed
    assert "**ValueError**: no such plan" in printed
    assert "| 0 | step:charge#0 | action | failed |" in printed
    assert printed.endswith("\n") and not printed.endswith("\n\n")


def test_it_refuses_a_bad_or_unknown_run_id_in_one_line(cli: Cli) -> None:
    bad = cli.fails("history", "markdown", "run_nope").stderr
    assert bad.startswith("error: ") and "run_<32 hex digits>" in bad
    unknown = "run_" + "0" * 32
    assert (
        f"No run {unknown} in your organization" in cli.fails("history", "markdown", unknown).stderr
    )
