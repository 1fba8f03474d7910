from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0014_run_step_numbering"),
    ]

    operations = [
        migrations.AddField(
            model_name="step",
            name="copied",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="Copied from the run this one retries from a later step; not executed here.",
            ),
        ),
    ]
