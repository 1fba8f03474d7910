from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keystroke_site.settings")
django_application = get_wsgi_application()

from history.chunked import ChunkedBodies  # noqa: E402  needs the settings loaded above

# Chunked request bodies reach Django with their length (or answer 413 past the limit).
application = ChunkedBodies(django_application)
