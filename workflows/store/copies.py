"""A retry from a chosen step: the new run and the steps it takes over from the original, written
together.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from history.models import Run, Step
from history.workspace_files import StorageBlobs, WorkspaceFileMissing

from ..errors import InvalidState
from ..origins import RunOrigin
from .runs import create_run_txn
from .steps import STEP_FIELDS

# What a copy keeps of a step: everything but its run, its row id and its cost (the new run paid
# nothing for it). A hook keeps its token, so the resume URL the workflow handed to later steps
# replays unchanged; the copy is settled, so the token resumes nothing.
_KEPT = (
    *(name for name in STEP_FIELDS if name != "cost"),
    "child_run_id",
    "resumed_by",
)


def create_retry_run_txn(
    workflow: Any, input: dict[str, Any], origin: RunOrigin, original: Run, steps: list[Step]
) -> Run:
    """A queued run of ``workflow`` holding copies of ``steps`` of ``original``, at the same
    positions and ids, numbered as the original was, so its first pass replays them; one
    transaction makes both, and the run's message is sent after it commits.
    """
    # Steps copied from the original were recorded by its version's code, which a replay of
    # them must still find (ctx.patched); with none copied the run is all today's code.
    version = original.version if steps else None
    run = create_run_txn(
        workflow, input, origin, step_numbering=original.step_numbering, version=version
    )
    copies = [
        Step(
            run=run,
            copied=True,
            cost=Decimal(0),
            **{name: getattr(step, name) for name in _KEPT},
        )
        for step in steps
    ]
    Step.objects.bulk_create(copies)
    # The workspace the copied steps left is the new run's to restore: its files are copied over
    # (were the transaction to roll back, the copies would be orphans under an unused run id).
    digests = {step.workspace for step in steps if step.workspace}
    if digests:
        try:
            StorageBlobs(run.uid.hex).copy_from(StorageBlobs(original.uid.hex), digests)
        except WorkspaceFileMissing as exc:
            raise InvalidState(
                f"Run {original.public_id} cannot be retried from this step: the workspace its "
                f"earlier steps left is incomplete ({exc}). Retry it from its first step."
            ) from None
    Run.objects.filter(pk=run.pk).update(step_count=len(copies))
    run.step_count = len(copies)
    return run
