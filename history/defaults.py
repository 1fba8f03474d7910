"""The default organization and every organization's default project are made here; reading
them never makes them.

* After every ``migrate``: the default organization and its project. A data migration made them
  first; this puts them back after ``flush``, which empties the tables and then sends
  ``post_migrate`` (as pytest-django's transactional tests do after each test).
* When an organization is created (``create_user``, the admin, a test): its default project.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

from .models import Organization, Project
from .models.accounts import DEFAULT_SLUG


def create_default_organization(
    apps: Any = global_apps, using: str = DEFAULT_DB_ALIAS, **_: Any
) -> None:
    """``post_migrate``: with the models as migrated, which a partial migrate may leave behind."""
    try:
        organizations = apps.get_model("history", "Organization")
        projects = apps.get_model("history", "Project")
    except LookupError:  # migrated back to before they existed
        return
    organization, _ = organizations.objects.using(using).get_or_create(
        slug=DEFAULT_SLUG, defaults={"name": "Default"}
    )
    projects.objects.using(using).get_or_create(
        organization=organization, slug=DEFAULT_SLUG, defaults={"name": "Default"}
    )


def default_project_id(organization_id: int) -> int:
    """The organization's default project, made again if someone removed it: a run being
    created needs it, and a write path may make it.
    """
    project, _ = Project.objects.get_or_create(
        organization_id=organization_id, slug=DEFAULT_SLUG, defaults={"name": "Default"}
    )
    return project.pk


def create_default_project(
    instance: Organization, created: bool, raw: bool = False, **_: Any
) -> None:
    """``post_save`` of an organization: a new one gets its default project."""
    if created and not raw:  # not while loading fixtures, which bring their own projects
        Project.objects.get_or_create(
            organization=instance, slug=DEFAULT_SLUG, defaults={"name": "Default"}
        )
