from __future__ import annotations

import uuid

from django.db import migrations


def fill(apps, schema_editor):  # noqa: ANN001, ANN201
    ApiKey = apps.get_model("history", "ApiKey")
    for key in ApiKey.objects.filter(uid__isnull=True).only("pk"):
        ApiKey.objects.filter(pk=key.pk).update(uid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("history", "0005_apikey_uid_nullable")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
