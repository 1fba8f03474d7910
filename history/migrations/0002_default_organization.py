from __future__ import annotations

from django.db import migrations


def create_default(apps, schema_editor):
    Organization = apps.get_model("history", "Organization")
    Project = apps.get_model("history", "Project")
    org, _ = Organization.objects.get_or_create(slug="default", defaults={"name": "Default"})
    Project.objects.get_or_create(organization=org, slug="default", defaults={"name": "Default"})


class Migration(migrations.Migration):
    dependencies = [("history", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
