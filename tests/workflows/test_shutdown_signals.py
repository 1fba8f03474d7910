"""The two signals of one stop may interrupt each other's handler at any line without a hang.

Python runs a signal's handler between two bytecodes of whatever runs, another handler
included; a handler that takes a lock the interrupted one holds never returns. Here the
second signal is sent at each line the first handler executes in turn, in both orders.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PROBE = textwrap.dedent(
    """
    import os, signal, sys
    import django
    django.setup()
    from workflows import shutdown
    from workflows.runner import draining, executing

    shutdown._Process.in_pool = True
    signal.signal(signal.SIGUSR2, shutdown._on_drain_signal)
    signal.signal(signal.SIGTERM, shutdown._on_sigterm)
    executing.set()

    def trial(first, second, at_line):
        seen = [0]
        def trace(frame, event, arg):
            if event == "line":
                seen[0] += 1
                if seen[0] == at_line:
                    os.kill(os.getpid(), second)
            return trace
        shutdown._Process.drain_began = None
        draining.clear()
        sys.settrace(trace)
        os.kill(os.getpid(), first)
        sys.settrace(None)
        assert draining.is_set(), (first, at_line)
        return seen[0]

    for first, second in [(signal.SIGUSR2, signal.SIGTERM), (signal.SIGTERM, signal.SIGUSR2)]:
        lines = trial(first, second, at_line=0)
        for at_line in range(1, lines + 1):
            trial(first, second, at_line)
        print(f"{lines} lines interrupted")
    """
)


def test_a_second_signal_at_any_line_of_the_drain_handlers_neither_hangs_nor_kills_the_pass() -> (
    None
):
    root = Path(__file__).resolve().parents[2]
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": "sqlite:///:memory:",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=root, env=env, capture_output=True, text=True, timeout=20
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("lines interrupted") == 2, done.stdout
