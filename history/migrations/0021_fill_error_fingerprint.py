from __future__ import annotations

from django.db import migrations
from django.db.models.fields.json import KT
from django.db.models.functions import Left

from history.fingerprints import FINGERPRINTED_CHARS, fingerprint_of

# Failed runs per batch: each batch commits on its own, so a million runs never hold one long
# transaction, and reads only the error's type and the start of its message.
BATCH = 2000


def fill_fingerprints(apps, schema_editor):
    Run = apps.get_model("history", "Run")
    last = 0
    while True:
        rows = list(
            Run.objects.filter(status="failed", error_fingerprint="", pk__gt=last)
            .order_by("pk")
            .annotate(
                error_type=KT("error__type"),
                error_message=Left(KT("error__message"), FINGERPRINTED_CHARS),
            )
            .values_list("pk", "error_type", "error_message")[:BATCH]
        )
        if not rows:
            return
        last = rows[-1][0]
        filled = [
            Run(pk=pk, error_fingerprint=fingerprint_of({"type": kind, "message": message}))
            for pk, kind, message in rows
            if kind is not None or message is not None
        ]
        Run.objects.bulk_update(filled, ["error_fingerprint"])


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("history", "0020_run_error_fingerprint")]

    operations = [migrations.RunPython(fill_fingerprints, migrations.RunPython.noop)]
