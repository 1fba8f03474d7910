"""compare.py's figures: each repetition's, their medians, and the table with the goals."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from compare_dbos import DbosRuns
from compare_keystroke import Runs
from engine_report import STEPS

Figures = dict[str, float]


def ms(values: list[float], per: int = 1) -> float:
    return statistics.fmean(values) * 1000 / per


def floor_figures(seconds: list[float]) -> Figures:
    return {"floor": ms(seconds), "floor_p50": statistics.median(seconds) * 1000}


def keystroke_figures(phases: dict[str, Runs]) -> Figures:
    ten, zero = phases["ten"], phases["zero"]
    figures = {
        "k_step": ms(ten.durations, STEPS),
        "k_marginal": (ms(ten.durations) - ms(zero.durations)) / STEPS,
        "k_fixed": ms(zero.durations),
        "k_e2e": ms(ten.latencies),
        "k_post": ms(ten.posts),
        "k_pickup": ms(ten.pickups),
        "k_run": ms(ten.durations),
        "k_seen": ms(ten.seen),
        "k_waited": 100 * ten.waited / ten.count,
        "k_writes": ten.wal.commits / ten.count,
        "k_writes_zero": zero.wal.commits / zero.count,
        "k_wal": ten.wal.bytes / ten.count,
        "k_wal_zero": zero.wal.bytes / zero.count,
    }
    if "burst" in phases:
        burst = phases["burst"]
        figures |= {
            "k_burst": burst.count / burst.wall,
            "k_writes_burst": burst.wal.commits / burst.count,
            "k_wal_burst": burst.wal.bytes / burst.count,
        }
    return figures


def dbos_figures(phases: dict[str, DbosRuns]) -> Figures:
    ten, zero = phases["ten"], phases["zero"]
    figures = {
        "d_step": ms(ten.seconds, STEPS),
        "d_marginal": (ms(ten.seconds) - ms(zero.seconds)) / STEPS,
        "d_fixed": ms(zero.seconds),
        "d_e2e": ms(ten.seconds),
        "d_writes": ten.wal.commits / ten.count,
        "d_writes_zero": zero.wal.commits / zero.count,
        "d_wal": ten.wal.bytes / ten.count,
        "d_wal_zero": zero.wal.bytes / zero.count,
    }
    if "burst" in phases:
        burst = phases["burst"]
        figures |= {
            "d_burst": burst.count / burst.wall,
            "d_writes_burst": burst.wal.commits / burst.count,
            "d_wal_burst": burst.wal.bytes / burst.count,
        }
    return figures


class Medians:
    """Each figure's median across the repetitions, shown with its range when there are several."""

    def __init__(self, repetitions: list[Figures]) -> None:
        self.repetitions = repetitions

    def __contains__(self, name: str) -> bool:
        return name in self.repetitions[0]

    def __getitem__(self, name: str) -> float:
        return statistics.median(r[name] for r in self.repetitions)

    def show(self, name: str, unit: Unit) -> str:
        values = [r[name] for r in self.repetitions]
        shown = unit.show(statistics.median(values))
        if len(values) == 1:
            return shown
        return f"{shown} ({unit.bare(min(values))}–{unit.bare(max(values))})"


@dataclass(frozen=True)
class Unit:
    scale: float
    decimals: int
    suffix: str

    def bare(self, value: float) -> str:
        return f"{value / self.scale:.{self.decimals}f}"

    def show(self, value: float) -> str:
        return f"{self.bare(value)}{self.suffix}"


MS = Unit(1, 2, " ms")
COUNT = Unit(1, 2, "")
KB = Unit(1000, 1, " KB")
RATE = Unit(1, 1, " runs/s")


def rows(m: Medians, setup: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(measure, Keystroke, DBOS Transact, floor) rows of the side-by-side table."""
    e2e = (
        f"{m.show('k_e2e', MS)}: POST ?wait= to queued {m['k_post']:.2f}, pickup "
        f"{m['k_pickup']:.2f}, run {m['k_run']:.2f}, answered {m['k_seen']:.2f} "
        f"({m['k_waited']:.0f}% answered by the wait)"
    )
    table = [
        (
            "per recorded step, sequential (run time / 10)",
            m.show("k_step", MS),
            m.show("d_step", MS),
            f"{m.show('floor', MS)} (p50 {m['floor_p50']:.2f})",
        ),
        (
            "marginal step ((10-step − 0-step) / 10)",
            m.show("k_marginal", MS),
            m.show("d_marginal", MS),
            "",
        ),
        ("fixed cost of a run (0-step run)", m.show("k_fixed", MS), m.show("d_fixed", MS), ""),
        ("10-step run end to end, one at a time", e2e, f"{m.show('d_e2e', MS)} in-process", ""),
    ]
    if "k_burst" in m:
        table.append(
            (
                f"{setup['burst']:,} ten-step runs at once",
                f"{m.show('k_burst', RATE)} (worker -c 2)",
                f"{m.show('d_burst', RATE)} (queue, 2 workers × {setup['concurrency']})",
                "",
            )
        )
    table += [
        (
            "write transactions per 10-step run (with its start)",
            m.show("k_writes", COUNT),
            m.show("d_writes", COUNT),
            str(STEPS),
        ),
        (
            "write transactions per 0-step run",
            m.show("k_writes_zero", COUNT),
            m.show("d_writes_zero", COUNT),
            "",
        ),
        ("WAL bytes per 10-step run", m.show("k_wal", KB), m.show("d_wal", KB), ""),
        (
            "WAL bytes per 0-step run",
            m.show("k_wal_zero", KB),
            m.show("d_wal_zero", KB),
            "",
        ),
    ]
    if "k_burst" in m:
        table += [
            (
                "write transactions per run (burst)",
                m.show("k_writes_burst", COUNT),
                m.show("d_writes_burst", COUNT),
                "",
            ),
            (
                "WAL bytes per run (burst)",
                m.show("k_wal_burst", KB),
                m.show("d_wal_burst", KB),
                "",
            ),
        ]
    return table


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def goals(m: Medians) -> list[tuple[str, str]]:
    floor = m["floor"]
    step, marginal = m["k_step"] / floor, m["k_marginal"] / floor
    checks = [
        (
            "per step ≤ 2× floor",
            f"{verdict(step <= 2)}: {step:.1f}× (DBOS {m['d_step'] / floor:.1f}×)",
        ),
        (
            "marginal step ≤ 1.5× floor",
            f"{verdict(marginal <= 1.5)}: {marginal:.1f}× (DBOS {m['d_marginal'] / floor:.1f}×)",
        ),
        (
            "10-step run end to end through the API ≤ 8 ms",
            f"{verdict(m['k_e2e'] <= 8)}: {m['k_e2e']:.2f} ms (DBOS in-process {m['d_e2e']:.2f})",
        ),
    ]
    if "k_burst" in m:
        burst = m["k_burst"] / m["d_burst"]
        checks.append(("burst ≥ 3× DBOS queue", f"{verdict(burst >= 3)}: {burst:.2f}×"))
    checks += [
        (
            "write transactions per 10-step run ≤ 11",
            f"{verdict(m['k_writes'] <= 11)}: {m['k_writes']:.2f} (DBOS {m['d_writes']:.2f})",
        ),
        (
            "WAL bytes per run halved (≤ 10 KB, half the issue's ~20 KB)",
            f"{verdict(m['k_wal'] <= 10_000)}: {KB.show(m['k_wal'])}, "
            f"{m['k_wal'] / m['d_wal']:.2f}× DBOS's {KB.show(m['d_wal'])}",
        ),
    ]
    return checks


def text(title: str, m: Medians, setup: dict[str, Any]) -> str:
    table = [("", "Keystroke", "DBOS Transact 3.4", "floor"), *rows(m, setup)]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = [title, "=" * len(title), ""]
    lines += [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in table
    ]
    lines += ["", "Goals (ratios against the floor's mean)", "-" * 39]
    width = max(len(label) for label, _ in goals(m)) + 2
    lines += [f"  {label.ljust(width)}{value}" for label, value in goals(m)]
    return "\n".join(lines)


def markdown(title: str, m: Medians, setup: dict[str, Any]) -> str:
    lines = [
        f"### {title}",
        "",
        "| | Keystroke | DBOS Transact 3.4 | the floor |",
        "|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in rows(m, setup)]
    lines += ["", "| Goal | Result |", "|---|---|"]
    lines += [f"| {label} | {value} |" for label, value in goals(m)]
    return "\n".join(lines)


def wal_detail(by_engine: dict[str, Counter[str]], runs: int, top: int) -> str:
    """Each engine's WAL per 10-step run, by relation, largest first."""
    lines = [
        "",
        "",
        f"WAL per 10-step run by relation (pg_waldump, the last repetition, top {top})",
    ]
    lines.append("-" * len(lines[-1]))
    for engine, sizes in by_engine.items():
        total = sum(sizes.values())
        lines.append(f"  {engine}: {KB.show(total / runs)} in records")
        width = max(len(name) for name, _ in sizes.most_common(top)) + 2
        lines += [
            f"    {name.ljust(width)}{size / runs:>8,.0f} B  {100 * size / total:3.0f}%"
            for name, size in sizes.most_common(top)
        ]
    return "\n".join(lines)
