"""The steps of one seeded run as the engine records them, with the spans, usage lines and warnings
that go with them.
"""

from __future__ import annotations

import random
from functools import cache
from typing import Any, NamedTuple

from .catalogue import MODELS, SERVICES, Spec
from .failures import attempt_error, attempts_json, enclosing_failure, step_failure
from .plans import ATTEMPTED, COMPOSITE, Draft, Planned
from .rows import Rows, money, random_hex, stamp
from .telemetry import OTEL_STATUS, log_line
from .texts import HOOK_SCHEMA, RESOLVED, agent_io, dumps, step_io

DAY = 86400.0
STEP_LOG = '{"thread": "keystroke-step", "module": "replay", "line": 431}'


@cache
def span_attributes(step_id: str, spec: Spec) -> str:
    attributes: dict[str, Any] = {"keystroke.step_id": step_id, "keystroke.step_kind": spec.kind}
    if spec.kind == "model":
        provider, _, name = spec.model.partition(":")
        attributes |= {
            "gen_ai.operation.name": "chat",
            "gen_ai.system": provider,
            "gen_ai.request.model": name,
        }
    elif spec.kind == "agent":
        attributes |= {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": spec.key}
    if spec.service:
        attributes["keystroke.service"] = spec.service
    return dumps(attributes) or "{}"


class Slot(NamedTuple):
    """Where a step goes: its row and span ids, its position, and its time if it ends."""

    pk: int
    position: int
    span_id: str
    parent_span: str
    started: float
    ended: float


class StepDrafter:
    def __init__(self, rows: Rows, rng: random.Random, now: float) -> None:
        self.rows, self.rng, self.now = rows, rng, now

    def record(self, draft: Draft, recorded: tuple[Planned, ...], can_spawn: bool) -> None:
        """The rows of ``recorded``, the planned steps the run got to; a child workflow step gives
        the run a child when ``can_spawn``.
        """
        start = draft.started or self.now
        length = (draft.finished or self.now) - start
        spans = [random_hex(self.rng, 64) for _ in recorded]
        slots = [
            Slot(
                self.rows.new_id("step"),
                position,
                spans[position],
                draft.root_span if planned.parent is None else spans[planned.parent],
                start + length * planned.offset,
                start + length * (planned.offset + planned.length),
            )
            for position, planned in enumerate(recorded)
        ]
        last = len(recorded) - 1
        for slot, planned in zip(slots, recorded, strict=True):
            if planned.spec.kind in COMPOSITE:
                continue
            if planned.spec.kind == "workflow" and can_spawn:
                draft.child_pk = self.rows.new_id("run")
                draft.child_window = (slot.started, slot.ended)
            self._step(draft, slot, planned, slot.position == last)
        # After the steps inside them, whose outcome they share.
        for slot, planned in zip(slots, recorded, strict=True):
            if planned.spec.kind in COMPOSITE:
                self._composite(draft, slot, recorded, slots[last].ended)

    def _step(self, draft: Draft, slot: Slot, planned: Planned, last: bool) -> None:
        spec, t0, t1 = planned.spec, slot.started, slot.ended
        s0, s1 = stamp(t0), stamp(t1)
        data_in, data_out = step_io(spec.payload or spec.key, draft.variant, planned.n)
        status, error, token, wake_at, attempts = "success", None, "", None, "[]"
        if spec.kind in ATTEMPTED:
            attempts = (
                f'[{{"attempt": 1, "started_at": "{s0}", "finished_at": "{s1}", "error": null}}]'
            )
        if (
            last
            and draft.status in ("failed", "sleeping")
            or spec.kind == "action"
            and self.rng.random() < 0.03
        ):
            status, error, attempts, wake_at = self._step_trouble(draft, slot, planned, last)
        if spec.kind == "sleep":
            wake_at = wake_at or s1
            data_in = f'{{"until": "{wake_at}"}}'
        elif spec.kind == "hook":
            status, token, data_in, data_out, wake_at = self._hook(draft, t0)
        ok = status == "success"
        cost = (
            self._step_usage(draft, spec, slot.pk, s1)
            if ok and (spec.kind == "model" or spec.service)
            else 0.0
        )
        self._write(
            draft,
            slot,
            planned,
            status,
            s0,
            s1 if ok or status == "failed" else None,
            input=data_in,
            output=data_out if ok else None,
            error=error,
            attempts=attempts,
            wake_at=wake_at,
            token=token,
            child_run_id=draft.child_pk if spec.kind == "workflow" else None,
            resumed_by="priya" if token and ok else "",
            cost=money(cost) if cost else "0",
        )

    def _composite(
        self, draft: Draft, slot: Slot, recorded: tuple[Planned, ...], failed_at: float
    ) -> None:
        """An agent or prompt_llm step: it failed if the run failed inside it, and is still waiting
        on the steps inside it while the run has not gone past them.
        """
        planned, last = recorded[slot.position], len(recorded) - 1
        status = "success" if draft.status == "success" or planned.end < last else "waiting"
        finished = slot.ended
        error = None
        if draft.status == "failed" and recorded[last].parent == slot.position:
            assert draft.failure is not None  # set by the step inside that failed
            draft.failure = enclosing_failure(planned.step_id, draft.failure)
            status, finished, error = "failed", failed_at, draft.failure.step_error
        if planned.spec.kind == "agent":
            turns = sum(1 for step in recorded if step.spec.kind == "model")
            data_in, data_out = agent_io(planned.spec.key, draft.variant, turns)
        else:
            data_in, data_out = step_io(planned.spec.payload, draft.variant, planned.n)
        self._write(
            draft,
            slot,
            planned,
            status,
            stamp(slot.started),
            None if status == "waiting" else stamp(finished),
            input=data_in,
            output=data_out if status == "success" else None,
            error=error,
            attempts="[]",
            wake_at=None,
            token="",
            child_run_id=None,
            resumed_by="",
            cost="0",
        )

    def _write(
        self,
        draft: Draft,
        slot: Slot,
        planned: Planned,
        status: str,
        started: str,
        ended: str | None,
        **columns: Any,
    ) -> None:
        """The step's row and its span."""
        self.rows.add(
            "step",
            id=slot.pk,
            run_id=draft.pk,
            position=slot.position,
            step_id=planned.step_id,
            kind=planned.spec.kind,
            status=status,
            started_at=started,
            finished_at=ended,
            parent_position=planned.parent,
            copied=False,  # seeded runs are never retries from a step
            workspace="",  # nor do their workflows have a workspace
            workspace_seq=0,
            **columns,
        )
        self.rows.add(
            "span",
            id=self.rows.new_id("span"),
            run_id=draft.pk,
            trace_id=draft.trace_id,
            span_id=slot.span_id,
            parent_span_id=slot.parent_span,
            name=f"step {planned.step_id}",
            kind="internal",
            status=OTEL_STATUS.get(status, "unset"),
            started_at=started,
            ended_at=ended,
            attributes=span_attributes(planned.step_id, planned.spec),
        )

    def _step_trouble(self, draft: Draft, slot: Slot, planned: Planned, last: bool) -> Any:
        """A failed step, a step at a sleep or in retry backoff, or a success after a failed
        attempt.
        """
        spec, step_id, t0, t1 = planned.spec, planned.step_id, slot.started, slot.ended
        if spec.kind == "sleep":
            draft.wake_at = self.now + self.rng.uniform(1, 90)
            return "sleeping", None, "[]", stamp(draft.wake_at)
        choice = self.rng.randrange(4)
        if last and draft.status == "failed":
            draft.failure, errors = step_failure(spec, step_id, choice)
            return "failed", draft.failure.step_error, attempts_json(t0, t1, errors), None
        error, _ = attempt_error(spec, step_id, choice)
        message = f"{step_id} attempt 1 failed: {error['type']}: {error['message']}; retrying in 2s"
        at, logger = stamp((t0 + t1) / 2), f"keystroke.step.{spec.key}"
        log_line(self.rows, draft, at, "WARNING", logger, message, slot.span_id, STEP_LOG)
        if last and draft.status == "sleeping":
            draft.wake_at = self.now + self.rng.uniform(1, 30)
            return (
                "sleeping",
                dumps(error),
                attempts_json(t0, t0 + 0.2, (error,)),
                stamp(draft.wake_at),
            )
        return "success", None, attempts_json(t0, t1, (error, None)), None

    def _hook(self, draft: Draft, t0: float) -> tuple[str, str, str, str | None, str]:
        """A hook's status, token, input, output and timeout; it is resolved only in runs that
        succeeded.
        """
        token, timeout = random_hex(self.rng, 160), t0 + 7 * DAY
        data_in = (
            f'{{"name": "resolution", "schema": "{HOOK_SCHEMA}", "timeout": "7d", '
            f'"resume_url": "http://localhost:8000/hooks/{token}"}}'
        )
        if draft.status == "success":
            return "success", token, data_in, RESOLVED, stamp(timeout)
        if draft.status == "waiting":
            draft.wake_at = timeout
        return "waiting", token, data_in, None, stamp(timeout)

    def _step_usage(self, draft: Draft, spec: Spec, step_pk: int, at: str) -> float:
        """The line item of a model call or of a paid service call, as the engine prices them;
        returns its cost.
        """
        if spec.kind == "model":
            provider, price_in, price_out = MODELS[spec.model]
            tokens_in, tokens_out = self.rng.randrange(300, 3000), self.rng.randrange(40, 600)
            cost = tokens_in * price_in + tokens_out * price_out
            self._usage_line(
                draft,
                step_pk,
                at,
                cost,
                kind="model",
                unit_price_in=f"{price_in:.12f}",
                provider=provider,
                model=spec.model.partition(":")[2],
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                unit_price_out=f"{price_out:.12f}",
            )
            draft.models += (spec.model,)
            draft.services += (provider,)
        else:
            cost = SERVICES[spec.service]
            draft.services += (spec.service,)
            if cost:
                self._usage_line(
                    draft,
                    step_pk,
                    at,
                    cost,
                    kind="service",
                    unit_price_in=f"{cost:.12f}",
                    service=spec.service,
                )
        draft.cost += cost
        return cost

    def _usage_line(
        self,
        draft: Draft,
        step_pk: int,
        at: str,
        cost: float,
        *,
        kind: str,
        unit_price_in: str,
        provider: str = "",
        model: str = "",
        service: str = "",
        tokens_in: int = 0,
        tokens_out: int = 0,
        unit_price_out: str = "0",
    ) -> None:
        """One call's line: a model's tokens, or a service's price per call."""
        self.rows.add(
            "usage",
            id=self.rows.new_id("usage"),
            run_id=draft.pk,
            step_id=step_pk,
            kind=kind,
            provider=provider,
            model=model,
            service=service,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            quantity=1,
            unit="call",
            unit_price_in=unit_price_in,
            unit_price_out=unit_price_out,
            cost=money(cost),
            created_at=at,
        )
