"""The filter bar's workflow and agent choices: those the project defines (the registry, handed
over by the engine) and those the organization has run that it no longer defines (RunSlug, a
row per slug). Neither reads the runs, so the list costs the same at ten million runs as at ten.
"""

from __future__ import annotations

from django.core.cache import cache

from . import pauses
from .models import RunSlug

# The recorded slugs change only when a slug is first run, and a slug first runs while the
# registry holds it: a stale cached copy hides nothing the registry does not list.
CACHE_SECONDS = 300


def workflow_choices(organization_id: int) -> list[str]:
    """Every workflow and agent slug worth offering, sorted."""
    recorded = cache.get_or_set(
        f"history:run-slugs:{organization_id}",
        lambda: list(
            RunSlug.objects.filter(organization_id=organization_id).values_list("slug", flat=True)
        ),
        CACHE_SECONDS,
    )
    return sorted({target.slug for target in pauses.targets()} | set(recorded or ()))
