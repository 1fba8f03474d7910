"""Fingerprint the failed runs recorded without one: those that failed before 0020, and those that
processes of the previous release finished during the deploy (the column's default is "").

It reads each run's raw error and calls history.fingerprints.fingerprint_of, as the store does,
so both agree on every error, odd ones included (no type, a number for a message). It is
idempotent and fills only runs without a fingerprint: after a rolling deploy, run it again with
``manage.py migrate history 0020 && manage.py migrate``.
"""

from __future__ import annotations

from django.db import migrations

from history.fingerprints import fingerprint_of

# Failed runs per batch: each batch commits on its own, so a million runs never hold one long
# transaction; an error holds its traceback, so a batch stays small.
BATCH = 500


def fill_fingerprints(apps, schema_editor):  # noqa: ANN001, ANN201
    Run = apps.get_model("history", "Run")  # noqa: N806
    last = 0
    while True:
        rows = list(
            Run.objects.filter(status="failed", error_fingerprint="", pk__gt=last)
            .order_by("pk")
            .values_list("pk", "error")[:BATCH]
        )
        if not rows:
            return
        last = rows[-1][0]
        filled = [
            Run(pk=pk, error_fingerprint=fingerprint)
            for pk, error in rows
            if (fingerprint := fingerprint_of(error))
        ]
        Run.objects.bulk_update(filled, ["error_fingerprint"])


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("history", "0020_run_error_fingerprint")]

    operations = [migrations.RunPython(fill_fingerprints, migrations.RunPython.noop)]
