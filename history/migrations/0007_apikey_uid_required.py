from __future__ import annotations

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("history", "0006_apikey_uid_fill")]

    operations = [
        migrations.AlterField(
            model_name="apikey",
            name="uid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        )
    ]
