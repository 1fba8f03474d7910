"""The Django admin for an organization's admins: their organization's rows only, read-only,
with cancelling and trigger switches as actions; superusers see every organization."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from history.models import AuditEvent, Organization, Run, TriggerState
from history.models.accounts import Role

from ..factories import make_run, member, superuser

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme() -> Organization:
    return Organization.objects.create(slug="acme", name="Acme")


def test_an_organization_admin_sees_and_cancels_only_their_organizations_runs(
    org: Organization, acme: Organization
) -> None:
    admin = member(org, Role.ADMIN, staff=True)
    ours, theirs = (
        make_run(org, "ours", status="running"),
        make_run(acme, "theirs", status="running"),
    )
    listing = admin.get("/admin/history/run/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "ours" in page and "theirs" not in page
    assert admin.get(f"/admin/history/run/{theirs.pk}/change/").status_code == 302  # not found
    response = admin.post(
        "/admin/history/run/",
        {"action": "cancel_selected", "_selected_action": [ours.pk, theirs.pk]},
        follow=True,
    )
    assert "Canceled 1 run(s); skipped 0" in response.content.decode()
    assert Run.objects.get(pk=ours.pk).status == "canceled"
    assert Run.objects.get(pk=theirs.pk).status == "running"
    assert AuditEvent.objects.filter(organization=org, action="run.cancel").exists()


def test_an_organization_admin_sees_their_steps_audit_keys_and_triggers_read_only(
    org: Organization, acme: Organization
) -> None:
    admin = member(org, Role.ADMIN, staff=True)
    for page in ("step", "auditevent", "apikey"):
        assert admin.get(f"/admin/history/{page}/").status_code == 200, page
    theirs = TriggerState.objects.filter(organization=acme).first()
    assert theirs is not None  # made with the organization
    assert admin.get("/admin/history/triggerstate/").status_code == 200
    assert admin.get(f"/admin/history/triggerstate/{theirs.pk}/change/").status_code == 302
    assert admin.get("/admin/history/apikey/add/").status_code == 403


def test_organizations_members_and_projects_stay_with_superusers(org: Organization) -> None:
    admin = member(org, Role.ADMIN, staff=True)
    for page in ("organization", "membership", "project"):
        assert admin.get(f"/admin/history/{page}/").status_code == 403, page
    index = admin.get("/admin/").content.decode()
    assert "Runs" in index and "Organizations" not in index


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_members_below_admin_cannot_open_the_admin(org: Organization, role: str) -> None:
    response = member(org, role, staff=True).get("/admin/history/run/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_superuser_sees_every_organization(org: Organization, acme: Organization) -> None:
    root = superuser()
    make_run(org, "ours"), make_run(acme, "theirs")
    page = root.get("/admin/history/run/").content.decode()
    assert "ours" in page and "theirs" in page


def test_the_admin_login_that_make_dev_prints_can_open_the_admin(org: Organization) -> None:
    call_command("create_user", "dev", "--password", "pw-12345678", "--role", "admin")
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/history/run/",
        {"username": "dev", "password": "pw-12345678"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/admin/history/run/"
    call_command("create_user", "dev", "--password", "pw-12345678", "--role", "viewer")
    assert not User.objects.get(username="dev").is_staff


def test_view_on_site_redirects_are_for_superusers_and_name_no_other_organization(
    org: Organization, acme: Organization
) -> None:
    from django.contrib.contenttypes.models import ContentType

    kind = ContentType.objects.get_for_model(Run).pk
    theirs, ours = make_run(acme, "theirs"), make_run(org, "ours")
    admin = member(org, Role.ADMIN, staff=True)
    assert admin.get(f"/admin/r/{kind}/{theirs.pk}/").status_code == 404
    assert admin.get(f"/admin/r/{kind}/{ours.pk}/").status_code == 404
    page = admin.get(f"/admin/history/run/{ours.pk}/change/").content.decode()
    assert f'href="{ours.get_absolute_url()}"' in page  # "View on site" goes to History
    root = superuser()
    assert root.get(f"/admin/r/{kind}/{theirs.pk}/").status_code == 302


def test_an_organization_admin_switches_their_triggers_and_sees_no_other_organization(
    org: Organization, acme: Organization
) -> None:
    admin = member(org, Role.ADMIN, staff=True)
    ours = TriggerState.objects.filter(organization=org, key="orders").get()
    page = admin.get("/admin/history/triggerstate/").content.decode()
    assert "Acme" not in page and "Disable selected triggers" in page
    admin.post(
        "/admin/history/triggerstate/",
        {"action": "disable_selected", "_selected_action": [ours.pk]},
    )
    ours.refresh_from_db()
    assert ours.enabled is False


def test_an_organization_admin_sees_an_api_keys_prefix_not_its_hash(org: Organization) -> None:
    from history.models import ApiKey

    key, _ = ApiKey.issue(org, "ci", Role.OPERATOR)
    page = member(org, Role.ADMIN, staff=True).get(f"/admin/history/apikey/{key.pk}/change/")
    assert page.status_code == 200
    assert key.prefix in page.content.decode() and key.hashed_key not in page.content.decode()


def test_an_organization_admin_who_is_not_staff_cannot_open_the_admin(org: Organization) -> None:
    response = member(org, Role.ADMIN, staff=False).get("/admin/history/run/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
