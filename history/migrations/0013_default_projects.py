from __future__ import annotations

from django.db import migrations


def create_default_projects(apps, schema_editor):
    # Organizations used to get their default project on first use; now it is made with them.
    Organization = apps.get_model("history", "Organization")
    Project = apps.get_model("history", "Project")
    Project.objects.bulk_create(
        [
            Project(organization=organization, slug="default", name="Default")
            for organization in Organization.objects.exclude(projects__slug="default")
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("history", "0012_metrics")]

    operations = [migrations.RunPython(create_default_projects, migrations.RunPython.noop)]
