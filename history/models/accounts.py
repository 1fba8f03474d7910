from __future__ import annotations

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils import timezone

API_KEY_PREFIX = "ks_"
DEFAULT_SLUG = "default"  # the default organization's, and every organization's default project


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    OPERATOR = "operator", "Operator"
    ADMIN = "admin", "Admin"


ROLE_RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


def role_allows(role: str, needed: str) -> bool:
    return ROLE_RANK[Role(role)] >= ROLE_RANK[Role(needed)]


class OrganizationManager(models.Manager["Organization"]):
    def default(self) -> Organization:
        """The default organization; made by migrate (``history.defaults``), never here."""
        return self.get(slug=DEFAULT_SLUG)


class Organization(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrganizationManager()

    def __str__(self) -> str:
        return self.name

    def default_project(self) -> Project:
        """Made with the organization (``history.defaults``), never here."""
        return Project.objects.get(organization=self, slug=DEFAULT_SLUG)


class Membership(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class Project(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="projects"
    )
    slug = models.SlugField()
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "slug"], name="history_project_org_slug"
            ),
        ]

    def __str__(self) -> str:
        return self.name


def default_project_id_of_organization() -> Subquery:
    """For a query of rows with an ``organization``: that one's default project's id, None if it
    was removed. Annotated on the lookup of who is asking, so a start needs no query for it.
    """
    projects = Project.objects.filter(organization=OuterRef("organization_id"), slug=DEFAULT_SLUG)
    return Subquery(projects.values("pk")[:1])


def hash_api_key(raw_key: str) -> str:
    # Keys are 256-bit random tokens, so a fast digest is enough (no password stretching).
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)

    def for_requests(self) -> ApiKeyQuerySet:
        """Active keys with their organization and its ``default_project_id``: what a request
        needs of its key, in the one query that authenticates it.
        """
        return (
            self.active()
            .select_related("organization")
            .annotate(default_project_id=default_project_id_of_organization())
        )


class ApiKey(models.Model):
    uid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.OPERATOR)
    prefix = models.CharField(
        max_length=16, help_text="First characters of the key, to recognise it."
    )
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def public_id(self) -> str:
        return f"key_{self.uid.hex}"

    @classmethod
    def issue(
        cls, organization: Organization, name: str, role: str = Role.OPERATOR
    ) -> tuple[ApiKey, str]:
        """Create a key and return it with its raw value, which is never stored."""
        raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
        key = cls.objects.create(
            organization=organization,
            name=name,
            role=role,
            prefix=raw[:10],
            hashed_key=hash_api_key(raw),
        )
        return key, raw
