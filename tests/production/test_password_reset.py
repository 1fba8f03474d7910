"""Password reset exists only when the server can send email."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import clear_url_caches

import history.account_urls
import keystroke_site.urls

pytestmark = pytest.mark.django_db


def reload_urls() -> None:
    importlib.reload(history.account_urls)
    importlib.reload(keystroke_site.urls)
    clear_url_caches()


@pytest.fixture
def email_configured(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    # The URLs are decided at start-up, so a server started with email is simulated by reloading
    # them.
    settings.KEYSTROKE_PASSWORD_RESET = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reload_urls()
    yield
    settings.KEYSTROKE_PASSWORD_RESET = False
    reload_urls()


def test_without_email_the_reset_pages_are_404_and_the_login_page_offers_none() -> None:
    for url in (
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/done/",
    ):
        assert Client().get(url).status_code == 404, url
    assert "password_reset" not in Client().get("/accounts/login/").content.decode()


def test_with_email_the_login_page_links_to_a_reset_that_sends_a_working_link(
    email_configured: None,
) -> None:
    User.objects.create_user("alice", email="alice@example.com", password="old-password-1")
    login = Client().get("/accounts/login/").content.decode()
    assert 'href="/accounts/password_reset/"' in login
    client = Client()
    response = client.post("/accounts/password_reset/", {"email": "alice@example.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)  # type: ignore[union-attr]
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    url = form.redirect_chain[-1][0]
    done = client.post(url, {"new_password1": "new-password-2", "new_password2": "new-password-2"})
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    assert Client().login(username="alice", password="new-password-2")
