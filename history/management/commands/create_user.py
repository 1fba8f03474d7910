from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from history.models import Membership, Organization
from history.models.accounts import Role


class Command(BaseCommand):
    help = (
        "Add a member to an organization (creating both if needed), or update their password "
        "and role."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument(
            "--org", default="default", help="Organization slug (default: default)."
        )
        parser.add_argument("--role", default=Role.VIEWER, choices=Role.values)

    @transaction.atomic
    def handle(
        self, *args: Any, username: str, password: str, org: str, role: str, **options: Any
    ) -> None:
        # a new organization gets its default project and trigger states as it is created
        organization, _ = Organization.objects.get_or_create(
            slug=org, defaults={"name": org.replace("-", " ").title()}
        )
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.is_staff = role == Role.ADMIN  # an organization's admins may open the Django admin
        user.save()
        Membership.objects.update_or_create(
            user=user, defaults={"organization": organization, "role": role}
        )
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} {username} ({role}) in {organization.slug}.")
