"""Named fault points: a test ends a worker at an exact place, as a crash there would.

``KEYSTROKE_FAULT=<point>:<step id>`` makes the process exit at once (code 70, no cleanup, no
acknowledgement) when it reaches that point for that step. The one point so far:

* ``step-returned``: the step's function has returned and its record is not yet written, the
  window in which a crash makes a step run again (steps run at least once).

Unset, as everywhere but in tests, a point costs one environment lookup.
"""

from __future__ import annotations

import os

FAULT_ENV = "KEYSTROKE_FAULT"
EXIT_CODE = 70


def reach(point: str, step_id: str) -> None:
    wanted = os.environ.get(FAULT_ENV)
    if wanted and wanted == f"{point}:{step_id}":
        os._exit(EXIT_CODE)
