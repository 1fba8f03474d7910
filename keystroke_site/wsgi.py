from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import reverse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keystroke_site.settings")
django_application = get_wsgi_application()

from history.chunked import ChunkedBodies  # noqa: E402  needs the settings loaded above

# Chunked request bodies reach Django with their length (or answer 413 past the limit).
application = ChunkedBodies(django_application)

# What start-up loaded (every view module included) lives as long as the process. Frozen, it is
# left out of the collector's full passes, which a big page's garbage sets off: those then walk
# only what requests made, instead of pausing the next request for every module Django holds.
reverse("history:run-list")  # imports the URLconf and so every view
gc.freeze()
