"""The ``keystroke`` command-line client: talks to a server over the REST API.

It imports nothing from Django or the engine, so it starts fast and runs against any target.
"""

from __future__ import annotations
