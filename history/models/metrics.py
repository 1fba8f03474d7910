from __future__ import annotations

from django.db import models


class MetricIncrement(models.Model):
    """What one transaction of the engine counted: a run started, a pass's steps, a requeue.

    Workers only ever insert these rows, so no two of them wait on a shared counter row; the
    sweeper folds them into ``MetricTotal`` (``workflows.store.counters.fold_counts``).
    """

    # [[name, {label: value}, amount], …]
    counts = models.JSONField()

    def __str__(self) -> str:
        return f"{len(self.counts)} counts"


class MetricTotal(models.Model):
    """A counter or histogram bucket summed over every worker since it was first counted."""

    name = models.CharField(max_length=100)
    labels = models.JSONField(default=dict)
    value = models.FloatField(default=0)

    class Meta:
        constraints = [
            # Used by workflows.store.counters.fold_counts(), which adds to a total or creates it.
            models.UniqueConstraint(fields=["name", "labels"], name="history_metrictotal_series"),
        ]

    def __str__(self) -> str:
        return f"{self.name}{self.labels} = {self.value:g}"
