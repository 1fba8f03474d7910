"""People who use History in the browser tests: members by role, and signing them in."""

from __future__ import annotations

from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from history.models import Membership, Organization

PASSWORD = "pw-12345678"


def person(org: Organization, name: str, role: str) -> None:
    user = User.objects.create_user(name, password=PASSWORD)
    Membership.objects.create(user=user, organization=org, role=role)


def sign_in(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/accounts/login/?next=/history/")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/history/")


def post_status(page: Page, url: str, form: dict[str, str]) -> int:
    """The status of a POST the signed-in person sends from the page, as a button would."""
    return int(
        page.evaluate(
            """async ([url, form]) => {
                const headers = JSON.parse(document.body.getAttribute("hx-headers"));
                const answer = await fetch(url, {
                    method: "POST", headers: headers, body: new URLSearchParams(form),
                });
                return answer.status;
            }""",
            [url, form],
        )
    )
