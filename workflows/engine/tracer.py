"""The tracing seam: spans for steps (OpenTelemetry ones live in ``workflows.tracing``)."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol


class StepSpan(Protocol):
    def failed(self, exc: BaseException) -> None: ...


class Tracer(Protocol):
    """``step`` wraps one attempt of an executed step; ``open``/``close`` bracket an agent or
    prompt_llm step across rounds. ``parent`` is the step id of the enclosing one, if any.
    """

    def step(
        self, step_id: str, kind: str, attempt: int, parent: str | None, attributes: dict[str, Any]
    ) -> AbstractContextManager[StepSpan]: ...

    def open(self, step_id: str, kind: str, parent: str | None) -> None: ...

    def close(self, step_id: str, exc: BaseException | None) -> None: ...


class _NoSpan:
    def failed(self, exc: BaseException) -> None:
        pass


class NoTracer:
    """The tracer of a pass nobody traces (tests, ``execute_workflow``)."""

    def step(
        self, step_id: str, kind: str, attempt: int, parent: str | None, attributes: dict[str, Any]
    ) -> AbstractContextManager[StepSpan]:
        return nullcontext(_NoSpan())

    def open(self, step_id: str, kind: str, parent: str | None) -> None:
        pass

    def close(self, step_id: str, exc: BaseException | None) -> None:
        pass
