from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("history", "0004_run_text_search_indexes")]

    operations = [
        migrations.AddField(
            model_name="apikey", name="uid", field=models.UUIDField(null=True, editable=False)
        )
    ]
