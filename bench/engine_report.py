"""The engine benchmark's figures: what a phase and a pass measured, and the report of them."""

from __future__ import annotations

import contextlib
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

REDIS = "redis://127.0.0.1:6379/0"
TEN, ZERO, STEPS = "bench-ten-steps", "bench-zero-steps", 10


@dataclass
class Phase:
    runs: int
    wall: float  # seconds
    durations: list[float]  # seconds, started_at → finished_at of each measured run
    pickups: list[float]  # seconds, queued_at → started_at (commit, broker, Celery, claim)
    latencies: list[float] = field(default_factory=list)  # seconds, submit → success seen
    counters: dict[str, float] = field(default_factory=dict)  # per run, the workers' share
    submit_seconds: float = 0.0


class StatementTimes:
    """Django execute wrapper: each statement's text and seconds, labelled when reported."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, float]] = []

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seen.append((sql, time.perf_counter() - start))


@dataclass
class InProcess:
    seconds: list[float]
    commits: float
    statements: list[str]
    times: StatementTimes
    alone: list[float]  # the same workflow on MemoryEventLog: the replay core without any database


# ------------------------------------------------------------------------------------------------


def mean_ms(values: list[float], per: int = 1) -> float:
    return statistics.fmean(values) * 1000 / per


def spread(values: list[float], per: int = 1) -> str:
    p95 = statistics.quantiles(values, n=20, method="inclusive")[-1] * 1000 / per
    return f"mean {mean_ms(values, per):.2f} ms, p95 {p95:.2f} ms"


def statement_label(text: str) -> str:
    """``VERB table`` of a statement; a statement of data-modifying CTEs by its first one, so the
    claim reads ``UPDATE history_run (WITH claimed)``.
    """
    cte = re.match(r"WITH (\w+) AS \(\s*(UPDATE|INSERT INTO|DELETE FROM) \"?(\w+)", text.strip())
    if cte:
        return f"{cte.group(2).split()[0]} {cte.group(3)} (WITH {cte.group(1)})"
    patterns = (
        ("INSERT", r"INSERT INTO \"?(\w+)"),
        ("UPDATE", r"^UPDATE \"?(\w+)"),
        ("SELECT", r"FROM \"?(\w+)"),
    )
    for verb, pattern in patterns:
        match = re.search(pattern, text.strip(), re.IGNORECASE)
        if match:
            return f"{verb} {match.group(1)}"
    return text.split()[0].upper()


def breakdown(statements: list[str]) -> str:
    return ", ".join(
        f"{n} × {label}" for label, n in Counter(map(statement_label, statements)).items()
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


class Report:
    def __init__(self, title: str) -> None:
        self.title = title
        self.sections: list[tuple[str, list[tuple[str, str]]]] = []

    def section(self, name: str) -> None:
        self.sections.append((name, []))

    def add(self, label: str, value: str) -> None:
        self.sections[-1][1].append((label, value))

    def text(self) -> str:
        width = max(len(label) for _, rows in self.sections for label, _ in rows) + 2
        lines = [self.title, "=" * len(self.title)]
        for name, rows in self.sections:
            lines += [
                "",
                name,
                "-" * len(name),
                *(f"  {label.ljust(width)}{value}" for label, value in rows),
            ]
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = [f"### {self.title}"]
        for name, rows in self.sections:
            lines += ["", f"**{name}**", "", "| Measure | Value |", "| --- | --- |"]
            lines += [f"| {label} | {value} |" for label, value in rows]
        return "\n".join(lines)


def cpu_times() -> list[int]:
    """The machine's CPU time counters (Linux): steal is time the hypervisor gave to other
    guests.
    """
    with contextlib.suppress(OSError), open("/proc/stat") as stat:
        return [int(value) for value in stat.readline().split()[1:]]
    return []


def steal_share(before: list[int], after: list[int]) -> str:
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return (
        f"{100 * spent[7] / sum(spent):.1f}% of CPU time stolen"
        if len(spent) > 7 and sum(spent)
        else "steal unknown"
    )


def describe_machine(admin: psycopg.Connection[Any]) -> str:
    import celery
    import django
    import redis

    postgres = (admin.info.parameter_status("server_version") or "?").split()[0]
    redis_version = redis.Redis.from_url(REDIS).info("server")["redis_version"]
    python = (
        f"Python {sys.version.split()[0]}, Django {django.get_version()}, Celery "
        f"{celery.__version__}"
    )
    return f"{os.cpu_count()} cores, PostgreSQL {postgres}, Redis {redis_version}, {python}"


def report_baseline(report: Report, bases: list[dict[str, list[float]]]) -> None:
    report.section(
        f"Baseline: psycopg, autocommit, {len(bases[0]['insert'])} times each, at start and at end"
    )
    report.add("single-row INSERT + COMMIT", " / ".join(spread(base["insert"]) for base in bases))
    report.add("SELECT 1 round trip", " / ".join(spread(base["select"]) for base in bases))


def report_sequential(report: Report, ten: Phase, zero: Phase) -> None:
    report.section(f"Sequential: {ten.runs} × {TEN}, one at a time, worker -c 1")
    report.add(
        "throughput",
        f"{ten.runs / ten.wall:.1f} runs/s ({ten.runs * STEPS / ten.wall:.0f} steps/s)",
    )
    report.add("per-step overhead (run duration / 10)", spread(ten.durations, STEPS))
    report.add("run duration (started_at → finished_at)", spread(ten.durations))
    report.add("pickup (queued_at → started_at)", spread(ten.pickups))
    report.add("end-to-end latency (submit → success seen)", spread(ten.latencies))
    report.add(f"{ZERO}: run duration ({zero.runs} runs)", spread(zero.durations))
    report.add(f"{ZERO}: pickup / end-to-end", f"{spread(zero.pickups)} / {spread(zero.latencies)}")
    report.add(
        "marginal cost of a step ((ten − zero) / 10)",
        f"mean {marginal_ms(ten.durations, zero.durations):.2f} ms",
    )


def report_burst(report: Report, phase: Phase, workers: int) -> None:
    report.section(f"Burst: {phase.runs} × {TEN} submitted at once, worker -c {workers}")
    report.add(
        "throughput (first submit → last finished_at)", f"{phase.runs / phase.wall:.1f} runs/s"
    )
    report.add("submitting alone took", f"{phase.submit_seconds:.2f} s")
    report.add("per-step overhead (run duration / 10)", spread(phase.durations, STEPS))
    report.add("pickup (queued_at → started_at)", spread(phase.pickups))


def report_database(report: Report, phases: dict[str, Phase], passes: dict[str, InProcess]) -> None:
    report.section("Database work per run (pg_stat_database, the workers' share)")
    for name, phase in phases.items():
        c = phase.counters
        rows = f"{c['tup_inserted']:.2f} rows inserted, {c['tup_updated']:.2f} updated"
        report.add(
            f"commits per run ({name})",
            f"{c['xact_commit']:.2f} ({rows}, {c['xact_rollback']:.2f} rollbacks)",
        )
    ten, zero = (
        phases["sequential"].counters["xact_commit"],
        phases["zero-step"].counters["xact_commit"],
    )
    report.add(
        "commits per step, all-in / marginal", f"{ten / STEPS:.2f} / {(ten - zero) / STEPS:.2f}"
    )
    report_passes(report, passes)


def marginal_ms(ten: list[float], zero: list[float]) -> float:
    return (mean_ms(ten) - mean_ms(zero)) / STEPS


def report_passes(report: Report, passes: dict[str, InProcess]) -> None:
    report.section("One pass in this process, without Celery (resume_run; an execute wrapper)")
    ten, zero = passes[TEN], passes[ZERO]
    for slug, result in passes.items():
        report.add(
            f"SQL statements: {slug}", f"{len(result.statements)} ({breakdown(result.statements)})"
        )
    count = len(ten.statements), len(zero.statements)
    report.add(
        "statements per step, all-in / marginal",
        f"{count[0] / STEPS:.2f} / {(count[0] - count[1]) / STEPS:.2f}",
    )
    report.add(
        "commits per pass (pg_stat_database): ten / zero", f"{ten.commits:.2f} / {zero.commits:.2f}"
    )
    report.add("pass time: ten / zero", f"{spread(ten.seconds)} / {spread(zero.seconds)}")
    report.add("marginal cost of a step", f"mean {marginal_ms(ten.seconds, zero.seconds):.2f} ms")
    by_label: dict[str, list[float]] = {}
    for text, seconds in ten.times.seen:
        by_label.setdefault(statement_label(text), []).append(seconds)
    for label, values in by_label.items():
        report.add(
            f"time in {label} ({TEN})",
            f"{spread(values)}, {len(values) / len(ten.seconds):.0f} per pass",
        )
    outside = {
        slug: mean_ms(p.seconds) - sum(s for _, s in p.times.seen) * 1000 / len(p.seconds)
        for slug, p in passes.items()
    }
    report.add(
        "time outside statements per pass: ten / zero",
        f"mean {outside[TEN]:.2f} ms / {outside[ZERO]:.2f} ms",
    )
    report.add(
        "time outside statements: marginal step",
        f"mean {(outside[TEN] - outside[ZERO]) / STEPS:.2f} ms",
    )
    report.add(
        "replay core alone (MemoryEventLog): marginal step",
        f"mean {marginal_ms(ten.alone, zero.alone):.2f} ms",
    )


def report_aims(
    report: Report, insert_ms: float, phases: dict[str, Phase], passes: dict[str, InProcess]
) -> None:
    report.section(f"Aims (ratios against the mean INSERT + COMMIT, {insert_ms:.2f} ms)")
    ten, zero = phases["sequential"], phases["zero-step"]
    commits = (ten.counters["xact_commit"] - zero.counters["xact_commit"]) / STEPS
    all_in = ten.counters["xact_commit"] / STEPS
    report.add(
        "≤ 1 commit per recorded step",
        f"{verdict(commits <= 1)}: {commits:.2f} marginal, {all_in:.2f} all-in",
    )
    loads = sum("FROM history_step" in s for s in passes[TEN].statements)
    report.add(
        "a run's replay loaded in one query",
        f"{verdict(loads == 1)}: {loads} statement per pass reads the step log",
    )
    for name in ("sequential", "burst"):
        if name in phases:
            ratio = mean_ms(phases[name].durations, STEPS) / insert_ms
            report.add(
                f"per-step overhead ≤ 3× ({name}, all-in)", f"{verdict(ratio <= 3)}: {ratio:.1f}×"
            )
    ratio = marginal_ms(ten.durations, zero.durations) / insert_ms
    report.add(
        "per-step overhead ≤ 3× (sequential, marginal)", f"{verdict(ratio <= 3)}: {ratio:.1f}×"
    )
    ratio = marginal_ms(passes[TEN].seconds, passes[ZERO].seconds) / insert_ms
    report.add(
        "per-step overhead ≤ 3× (in-process, marginal)", f"{verdict(ratio <= 3)}: {ratio:.1f}×"
    )


# -- main
