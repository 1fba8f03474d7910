from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0015_workflow_pauses"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="step",
            name="history_step_token",
        ),
        migrations.AddField(
            model_name="step",
            name="copied",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="Copied from the run this one retries from a later step; not executed here.",
            ),
        ),
        migrations.AddConstraint(
            model_name="step",
            constraint=models.UniqueConstraint(
                condition=models.Q(models.Q(("token", ""), _negated=True), ("copied", False)),
                fields=("token",),
                name="history_step_token",
            ),
        ),
    ]
