from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from history.access import Actor
from history.keys import issue_api_key
from history.models import Organization
from history.models.accounts import Role


class Command(BaseCommand):
    help = "Create an API key; the key itself is printed once, as the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="What the key is for, e.g. ci or laptop.")
        parser.add_argument(
            "--org", default="default", help="Organization slug (default: default)."
        )
        parser.add_argument("--role", default=Role.OPERATOR, choices=Role.values)

    def handle(self, *args: Any, name: str, org: str, role: str, **options: Any) -> None:
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(
                f"No organization {org!r}: create it with `create_user … --org {org}` first."
            )
        key, raw = issue_api_key(Actor(organization, Role.ADMIN, "manage.py"), name, role)
        self.stdout.write(
            f"Created API key {name!r} ({role}) in {organization.slug}. It is shown once:"
        )
        self.stdout.write(raw)
