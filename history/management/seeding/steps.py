"""The steps of one seeded run as the engine would have recorded them, with the spans, usage
lines and warnings that go with them.
"""

from __future__ import annotations

import random
from functools import cache
from typing import Any

from .catalogue import MODELS, SERVICES, Spec
from .failures import attempt_error, attempts_json, step_failure
from .plans import ATTEMPTED, Draft
from .rows import Rows, money, random_hex, stamp
from .telemetry import OTEL_STATUS, log_line
from .texts import HOOK_SCHEMA, RESOLVED, dumps, step_io

DAY = 86400.0


@cache
def span_attributes(step_id: str, spec: Spec) -> str:
    attributes: dict[str, Any] = {"keystroke.step_id": step_id, "keystroke.step_kind": spec.kind}
    if spec.model:
        attributes |= {
            "gen_ai.system": spec.model.split(":")[0],
            "gen_ai.request.model": spec.model.split(":")[1],
        }
    if spec.service:
        attributes["keystroke.service"] = spec.service
    return dumps(attributes) or "{}"


class StepDrafter:
    def __init__(self, rows: Rows, rng: random.Random, now: float) -> None:
        self.rows, self.rng, self.now = rows, rng, now

    def record(self, draft: Draft, recorded: tuple[Any, ...], can_spawn: bool) -> None:
        """The rows of ``recorded``, the planned steps the run got to; a child workflow step
        gives the run a child when ``can_spawn``.
        """
        start = draft.started or self.now
        length, last = (draft.finished or self.now) - start, len(recorded) - 1
        model_span, agent = draft.root_span, draft.target.kind == "agent"
        for position, (spec, step_id, n, offset, share) in enumerate(recorded):
            t0 = start + length * offset
            t1 = t0 + length * share
            if spec.kind == "workflow" and can_spawn:
                draft.child_pk, draft.child_window = self.rows.new_id("run"), (t0, t1)
            # An agent's tool calls nest under the model call that asked for them.
            parent_span = model_span if agent and spec.kind != "llm" else draft.root_span
            span_id = self._step(
                draft, position, spec, step_id, n, t0, t1, position == last, parent_span
            )
            model_span = span_id if spec.kind == "llm" else model_span

    def _step(
        self, draft: Draft, position: int, spec: Spec, step_id: str, n: int, *where: Any
    ) -> str:
        t0, t1, last, parent_span = where
        pk, s0, s1 = self.rows.new_id("step"), stamp(t0), stamp(t1)
        data_in, data_out = step_io(spec.payload or spec.key, draft.variant, n)
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
            status, error, attempts, wake_at = self._step_trouble(
                draft, spec, step_id, t0, t1, last
            )
        if spec.kind == "sleep":
            wake_at = wake_at or s1
            data_in = f'{{"until": "{wake_at}"}}'
        elif spec.kind == "hook":
            status, token, data_in, data_out, wake_at = self._hook(draft, t0)
        done, ok = status == "success" or status == "failed", status == "success"
        cost = self._step_usage(draft, spec, pk, s1) if ok and (spec.model or spec.service) else 0.0
        self.rows.add(
            "step",
            id=pk,
            run_id=draft.pk,
            position=position,
            step_id=step_id,
            kind=spec.kind,
            status=status,
            input=data_in,
            output=data_out if ok else None,
            error=error,
            attempts=attempts,
            started_at=s0,
            finished_at=s1 if done else None,
            wake_at=wake_at,
            token=token,
            child_run_id=draft.child_pk if spec.kind == "workflow" else None,
            resumed_by="priya" if token and ok else "",
            cost=money(cost) if cost else "0",
            parent_position=None,
        )
        span_id = random_hex(self.rng, 64)
        self.rows.add(
            "span",
            id=self.rows.new_id("span"),
            run_id=draft.pk,
            trace_id=draft.trace_id,
            span_id=span_id,
            parent_span_id=parent_span,
            name=step_id,
            kind="client" if spec.model or spec.service else "internal",
            status=OTEL_STATUS.get(status, "unset"),
            started_at=s0,
            ended_at=s1 if done else None,
            attributes=span_attributes(step_id, spec),
        )
        return span_id

    def _step_trouble(
        self, draft: Draft, spec: Spec, step_id: str, t0: float, t1: float, last: bool
    ) -> Any:
        """A failed step, a step at a sleep or in retry backoff, or a success after a failed
        attempt.
        """
        if spec.kind == "sleep":
            draft.wake_at = self.now + self.rng.uniform(1, 90)
            return "sleeping", None, "[]", stamp(draft.wake_at)
        choice = self.rng.randrange(4)
        if last and draft.status == "failed":
            step_error, draft.error, errors, draft.summary = step_failure(spec, step_id, choice)
            return "failed", step_error, attempts_json(t0, t1, errors), None
        error, _ = attempt_error(spec, step_id, choice)
        message = f"{step_id} attempt 1 failed: {error['type']}: {error['message']}; retrying in 2s"
        log_line(
            self.rows, draft, stamp((t0 + t1) / 2), "WARNING", f"keystroke.step.{spec.key}", message
        )
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
        """The line item of a model call or of a paid service call; returns its cost."""
        if spec.model:
            provider, price_in, price_out = MODELS[spec.model]
            tokens_in, tokens_out = self.rng.randrange(300, 3000), self.rng.randrange(40, 600)
            cost = tokens_in * price_in + tokens_out * price_out
            self.rows.add(
                "usage",
                id=self.rows.new_id("usage"),
                run_id=draft.pk,
                step_id=step_pk,
                kind="model",
                provider=provider,
                model=spec.model,
                service="",
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                quantity=tokens_in + tokens_out,
                unit="tokens",
                unit_price_in=f"{price_in:.12f}",
                unit_price_out=f"{price_out:.12f}",
                cost=money(cost),
                created_at=at,
            )
            draft.models += (spec.model,)
            draft.services += (provider,)
        else:
            cost = SERVICES[spec.service]
            draft.services += (spec.service,)
            if cost:
                self.rows.add(
                    "usage",
                    id=self.rows.new_id("usage"),
                    run_id=draft.pk,
                    step_id=step_pk,
                    kind="service",
                    provider="",
                    model="",
                    service=spec.service,
                    tokens_in=0,
                    tokens_out=0,
                    quantity=1,
                    unit="calls",
                    unit_price_in=f"{cost:.12f}",
                    unit_price_out="0",
                    cost=money(cost),
                    created_at=at,
                )
        draft.cost += cost
        return cost
