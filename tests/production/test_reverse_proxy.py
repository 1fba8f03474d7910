"""Behind an HTTPS reverse proxy: the production server (gunicorn, two workers) as a proxy reaches
it.

Requests go to the server over plain HTTP carrying the headers a TLS-terminating proxy adds. The
proxy counts as another host (gunicorn is told to trust only 192.0.2.10), so whether the request
was HTTPS is decided by ``KEYSTROKE_TRUST_PROXY`` alone.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from history.models import Membership, Organization
from history.models.accounts import Role

from ..services import free_port
from ..support import Process, http_status, start_web, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC = "https://keystroke.example.test"
PROXY_HEADERS = {
    "Host": "keystroke.example.test",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "203.0.113.7",
}


@pytest.fixture
def alice(org: Organization) -> User:
    user = User.objects.create_user("alice", password="pw-12345678")
    Membership.objects.create(user=user, organization=org, role=Role.OPERATOR)
    return user


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Callable[..., httpx.Client]]:
    processes: list[Process] = []
    clients: list[httpx.Client] = []

    def start(trust_proxy: str) -> httpx.Client:
        port = free_port()
        env = {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "KEYSTROKE_PUBLIC_URL": PUBLIC,
            "KEYSTROKE_TRUST_PROXY": trust_proxy,
            "KEYSTROKE_FORWARDED_ALLOW_IPS": "192.0.2.10",
        }
        processes.append(start_web(tmp_path, port, **env))
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        clients.append(client)
        wait_for(lambda: (http_status(client, "/healthz") or 500) < 500, 30, what="the web server")
        return client

    yield start
    for client in clients:
        client.close()
    for process in processes:
        process.stop()


def cookie(response: httpx.Response, name: str) -> str:
    """The Set-Cookie header for ``name``; httpx keeps no Secure cookie for a plain-HTTP URL."""
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}="))


def sign_in(client: httpx.Client) -> tuple[httpx.Response, httpx.Response]:
    page = client.get("/accounts/login/", headers=PROXY_HEADERS)
    if page.status_code != 200:
        return page, page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    csrf = cookie(page, "csrftoken").split(";", 1)[0]
    answer = client.post(
        "/accounts/login/",
        data={"username": "alice", "password": "pw-12345678", "csrfmiddlewaretoken": token},
        headers={
            **PROXY_HEADERS,
            "Origin": PUBLIC,
            "Referer": f"{PUBLIC}/accounts/login/",
            "Cookie": csrf,
        },
    )
    return page, answer


def test_a_sign_in_through_a_trusted_https_proxy_gets_a_secure_session(server, alice: User) -> None:  # type: ignore[no-untyped-def]
    client = server(trust_proxy="1")
    page, answer = sign_in(client)
    assert page.status_code == 200
    assert "; Secure" in cookie(page, "csrftoken")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert answer.status_code == 302, answer.text[:2000]
    assert answer.headers["Location"] == "/history/"
    session = cookie(answer, "sessionid")
    assert "; Secure" in session and "; HttpOnly" in session
    history = client.get("/history/", headers={**PROXY_HEADERS, "Cookie": session.split(";", 1)[0]})
    assert history.status_code == 200 and "Sign out alice" in history.text


def test_without_trusting_the_proxy_every_page_is_sent_back_to_https_and_no_one_signs_in(
    server, alice: User
) -> None:  # type: ignore[no-untyped-def]
    client = server(trust_proxy="0")
    page = client.get("/accounts/login/", headers=PROXY_HEADERS)
    # The app sees plain HTTP, so it redirects to the HTTPS URL the browser is already on: a loop.
    assert page.status_code == 301 and page.headers["Location"] == f"{PUBLIC}/accounts/login/"
    answer = client.post(
        "/accounts/login/",
        data={"username": "alice", "password": "pw-12345678"},
        headers={**PROXY_HEADERS, "Origin": PUBLIC},
    )
    assert answer.status_code == 301 and "sessionid" not in answer.headers.get("set-cookie", "")


def test_load_balancer_probes_over_plain_http_are_not_redirected(server) -> None:  # type: ignore[no-untyped-def]
    client = server(trust_proxy="0")
    assert client.get("/healthz").status_code == 200
    for path in ("/readyz", "/metrics"):
        assert client.get(path).status_code != 301, path
    assert client.get("/history/").status_code == 301


def test_bad_key_counts_are_shared_by_every_worker_process(server) -> None:  # type: ignore[no-untyped-def]
    client = server(trust_proxy="1")
    forwarded = {**PROXY_HEADERS, "X-Forwarded-For": "198.51.100.7"}
    # Five failures recorded by this process, five by the server's workers: one count.
    for n in range(5):
        answer = APIClient().get(
            "/api/runs", HTTP_AUTHORIZATION=f"Bearer ks_{n}", REMOTE_ADDR="198.51.100.7"
        )
        assert answer.status_code == 401
    for n in range(5):
        assert (
            client.get(
                "/api/runs", headers={**forwarded, "Authorization": f"Bearer ks_x{n}"}
            ).status_code
            == 401
        )
    throttled = client.get("/api/runs", headers={**forwarded, "Authorization": "Bearer ks_last"})
    assert throttled.status_code == 429 and throttled.json()["error"]["type"] == "throttled"
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.headers["Cache-Control"] == "no-store"
