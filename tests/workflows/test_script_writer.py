"""The script-writer example agent on the offline test model: it writes a script into its
workspace, runs it in the sandbox, and the run's history holds the command and its output."""

from __future__ import annotations

import pytest

from workflows.registry import registry
from workflows.sdk import Completed, MemoryEventLog, execute_workflow

pytestmark = pytest.mark.django_db


def test_it_writes_and_runs_a_script_in_its_workspace() -> None:
    script_writer = registry.target("script-writer", "agent")  # examples/agents/script_writer.py
    log = MemoryEventLog()
    outcome = execute_workflow(script_writer, {"message": "Say hello from a script."}, log)
    assert isinstance(outcome, Completed), outcome
    steps = {record.step_id: record for record in log.records.values()}
    assert list(steps) == [
        "step:script-writer#0",
        "step:model#0",
        "step:list-files#0",
        "step:write-file#0",
        "step:read-file#0",
        "step:run-command#0",
        "step:delete-file#0",
        "step:model#1",
    ]
    ran = steps["step:run-command#0"].output
    assert ran["command"] == ["/bin/sh", "-c", "python3 hello.py"]
    assert (ran["exit_code"], ran["stdout"]) == (0, "hello from the workspace\n")
    assert steps["step:read-file#0"].output["content"] == "print('hello from the workspace')\n"
    # The script is kept in the workspace the run's last step left.
    last = steps["step:delete-file#0"]
    assert set(log.blobs.manifest(last.workspace)) == {"hello.py"}
    assert "hello from the workspace" in outcome.output["text"]
