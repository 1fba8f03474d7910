"""The History benchmark's figures: what a page measured, and the report of them."""

from __future__ import annotations

import argparse
import gc
import os
import platform
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Page:
    label: str
    url: str
    aim_ms: float | None  # None: not one of the aims, shown for context
    max_bytes: int | None = None  # an aim on the response's size too
    times_ms: list[float] = field(default_factory=list)
    queries: list[tuple[str, float]] = field(default_factory=list)  # (sql, ms) of one request
    plan: str = ""
    size: int = 0  # bytes of the response body

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]  # nearest rank

    @property
    def verdict(self) -> str:
        if self.aim_ms is None:
            return "context"
        met = self.p95 < self.aim_ms and (self.max_bytes is None or self.size < self.max_bytes)
        aim = f"< {self.aim_ms:g}" + (
            f", < {self.max_bytes // 1000} KB" if self.max_bytes is not None else ""
        )
        return f"{'met' if met else 'MISSED'} ({aim})"


@dataclass
class Seeding:
    runs: int = 0
    seconds: float = 0.0
    vacuum_seconds: float = 0.0
    big_run: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    database_size: str = ""


@dataclass
class Collections:
    """The garbage collector's pauses while a phase ran, by generation."""

    count: dict[int, int] = field(default_factory=lambda: {0: 0, 1: 0, 2: 0})
    ms: dict[int, float] = field(default_factory=lambda: {0: 0.0, 1: 0.0, 2: 0.0})
    longest_ms: float = 0.0
    _started: float = 0.0

    def __enter__(self) -> Collections:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        ms = (time.perf_counter() - self._started) * 1000
        generation = info["generation"]
        self.count[generation] += 1
        self.ms[generation] += ms
        self.longest_ms = max(self.longest_ms, ms)

    def summary(self) -> str:
        return (
            ", ".join(
                f"gen {g}: {self.count[g]} in {self.ms[g]:.0f} ms" for g in sorted(self.count)
            )
            + f"; longest {self.longest_ms:.1f} ms"
        )


def machine() -> str:
    import django
    from django.db import connection

    version = connection.cursor().connection.info.server_version
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores, PostgreSQL {version // 10000}.{version % 10000}, Python "
        f"{platform.python_version()}, Django {django.get_version()}; load {load:.2f} at the end"
    )


def short_plan(plan: str) -> str:
    """The plan's nodes without costs and buffers, and its execution time."""
    lines = plan.split("\n\n", 1)[-1].splitlines()
    kept = []
    for i, line in enumerate(lines):
        text = re.sub(r"\s*\(cost=[^)]*\)", "", line).replace("  ->  ", "  -> ")
        if (
            i == 0
            or i == 1
            and "Buffers:" in text
            or "->" in text
            or re.search(r"Execution Time|Filter:|Cond:", text)
        ):
            kept.append(
                re.sub(
                    r"\(actual time=[\d.]+\.\.([\d.]+) rows=(\d+) loops=(\d+)\)",
                    r"(\1 ms, \2 rows)",
                    text,
                )
            )
    return "\n".join(kept)


def slowest_query(page: Page) -> str:
    if not page.queries:
        return "-"
    sql_text, ms = max(page.queries, key=lambda q: q[1])
    return f"{ms:.1f} ms: {' '.join(sql_text.split())[:160]}"


def _size(page: Page) -> str:
    return f"{page.size / 1000:,.0f} KB" if page.size >= 10_000 else f"{page.size:,} B"


def text_report(
    args: argparse.Namespace,
    seeding: Seeding,
    measured: list[Page],
    collections: dict[str, Collections],
) -> str:
    lines = [f"History benchmark: {machine()}"]
    if seeding.seconds:
        rate = seeding.runs / seeding.seconds
        lines.append(
            f"Seeded {seeding.runs:,} runs in {seeding.seconds:.1f} s ({rate:,.0f} runs/s); VACUUM "
            f"ANALYZE {seeding.vacuum_seconds:.1f} s; database {seeding.database_size}"
        )
    lines += [
        "Rows: " + ", ".join(f"{t} {n:,}" for t, n in seeding.rows.items()),
        f"{args.requests} requests per page after {args.warm_up} warm-ups; server time through "
        "Django's test client",
        "",
        f"{'page':<56} {'median':>8} {'p95':>8} {'size':>8} {'queries':>7} {'sql ms':>7}  aim",
    ]
    for page in measured:
        sql_ms = sum(ms for _, ms in page.queries)
        lines.append(
            f"{page.label:<56} {page.median:>8.1f} {page.p95:>8.1f} {_size(page):>8} "
            f"{len(page.queries):>7} {sql_ms:>7.1f}  {page.verdict}"
        )
    lines += ["", "Garbage collections while timing:"]
    lines += [f"  {phase}: {stats.summary()}" for phase, stats in collections.items()]
    for page in measured:
        lines += ["", f"== {page.label}: {page.url}", f"slowest query {slowest_query(page)}"]
        lines += [page.plan] if page.plan else []
    return "\n".join(lines)


def markdown_report(
    args: argparse.Namespace,
    seeding: Seeding,
    measured: list[Page],
    collections: dict[str, Collections],
) -> str:
    lines = [f"#### Keystroke History benchmark — {machine()}", ""]
    if seeding.seconds:
        rate = seeding.runs / seeding.seconds
        lines += [
            f"`seed_history --runs {args.runs:,}` (plus one run of {args.big_run_steps:,} steps): "
            f"{seeding.runs:,} runs in {seeding.seconds:.0f} s, **{rate:,.0f} runs/s**; then "
            f"VACUUM ANALYZE {seeding.vacuum_seconds:.0f} s. Database {seeding.database_size}: "
            + ", ".join(f"{t} {n:,}" for t, n in seeding.rows.items())
            + ".",
            "",
        ]
    lines += [
        f"Server time of {args.requests} requests per page after {args.warm_up} warm-ups (Django "
        "test client, session login as an organization admin):",
        "",
        "| Page | Median | p95 | Size | Queries (SQL ms) | Aim, p95 |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for page in measured:
        sql_ms = sum(ms for _, ms in page.queries)
        path = page.url.split("/history/", 1)[-1][:70] or "/history/"
        lines.append(
            f"| {page.label} `{path}` | {page.median:.1f} ms | {page.p95:.1f} ms | {_size(page)} "
            f"| {len(page.queries)} ({sql_ms:.1f}) | {page.verdict.replace('context', '—')} |"
        )
    lines += ["", "Garbage collections while timing:", ""]
    lines += [f"- {phase}: {stats.summary()}" for phase, stats in collections.items()]
    for page in measured:
        if page.plan:
            lines += ["", f"{page.label}:", "", "```text", short_plan(page.plan), "```"]
    return "\n".join(lines)
