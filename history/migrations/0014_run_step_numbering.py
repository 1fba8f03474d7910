from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0013_default_projects"),
    ]

    operations = [
        # Runs recorded so far were numbered with one counter per run; new ones per branch.
        migrations.AddField(
            model_name="run",
            name="step_numbering",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "one counter per run"), (2, "per concurrent branch")], default=1
            ),
        ),
        migrations.AlterField(
            model_name="run",
            name="step_numbering",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "one counter per run"), (2, "per concurrent branch")], default=2
            ),
        ),
    ]
