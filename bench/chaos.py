"""The chaos run at full size, by hand: 1,000 runs submitted through the API while workers are
SIGKILLed every few seconds and PostgreSQL and Redis restart once each.

    .venv/bin/python bench/chaos.py [--runs 1000] [--submit-seconds 300] [--workers 3] [--kill-every
    5]

Everything runs on private PostgreSQL and Redis servers started for the run (see
tests/chaos.py); the shared ones are never touched. It prints what happened and exits 1 if a
run was lost, doubled, failed, or created behind a 5xx, or if a process exited on its own.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("SECRET_KEY", "chaos-benchmark-" + "k" * 50)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--submit-seconds", type=float, default=300)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kill-every", type=float, default=5)
    parser.add_argument("--settle-seconds", type=float, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import logging

    import django

    django.setup()
    # one line per request would bury the report
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from tests.chaos import Chaos, ChaosPlan

    plan = ChaosPlan(
        runs=args.runs,
        workers=args.workers,
        submit_seconds=args.submit_seconds,
        kill_every=args.kill_every,
        settle_seconds=args.settle_seconds,
        seed=args.seed,
    )
    log_dir = Path(tempfile.mkdtemp(prefix="keystroke-chaos-logs-"))
    chaos = Chaos(plan, log_dir)
    try:
        chaos.start()
        report = chaos.run()
    finally:
        chaos.stop()
    print("\n".join(report.lines()))
    problems = report.problems()
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print(f"logs: {log_dir}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
