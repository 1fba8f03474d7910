"""Record the slugs of the runs made before 0023 (and of runs that processes of the previous
release create during the deploy).

It never scans the runs: per organization it walks the index on (organization, slug, created
at) from one slug to the next, two index lookups per slug (the next slug; its first run), and
inserts each slug in a statement of its own, skipping one already recorded. So it is quick at
millions of runs, holds no long transaction and can be run again after a rolling deploy with
``manage.py migrate history 0023 && manage.py migrate``.
"""

from __future__ import annotations

from django.db import migrations


def fill_run_slugs(apps, schema_editor):  # noqa: ANN001, ANN201
    Organization = apps.get_model("history", "Organization")  # noqa: N806
    Run = apps.get_model("history", "Run")  # noqa: N806
    RunSlug = apps.get_model("history", "RunSlug")  # noqa: N806
    for organization_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        runs = Run.objects.filter(organization_id=organization_id)
        slug = ""
        while True:
            slug = (
                runs.filter(slug__gt=slug).order_by("slug").values_list("slug", flat=True).first()
            )
            if slug is None:
                break
            first = runs.filter(slug=slug).order_by("created_at").values("kind", "created_at")[0]
            RunSlug.objects.bulk_create(
                [
                    RunSlug(
                        organization_id=organization_id,
                        slug=slug,
                        kind=first["kind"],
                        first_seen=first["created_at"],
                    )
                ],
                ignore_conflicts=True,
            )


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("history", "0023_run_slugs")]

    operations = [migrations.RunPython(fill_run_slugs, migrations.RunPython.noop)]
