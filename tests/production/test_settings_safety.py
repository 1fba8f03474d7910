"""Settings refuse to run unsafely in production and derive HTTPS behaviour from the public URL.

Each test loads ``keystroke_site/settings.py`` afresh under an environment of its own, as a
web, worker or beat process would at start-up.
"""

from __future__ import annotations

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured

from workflows.cli.dev import child_env

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "keystroke_site" / "settings.py"
STRONG_KEY = secrets.token_urlsafe(50)
DEV_DEFAULT_KEY = "dev-insecure-keystroke-secret-key-change-me"


@pytest.fixture
def load(tmp_path: Path) -> Any:
    def load(**env: str | None) -> dict[str, Any]:
        base = {"KEYSTROKE_HOME": str(tmp_path), "SECRET_KEY": STRONG_KEY}
        merged = {k: v for k, v in {**base, **env}.items() if v is not None}
        with mock.patch.dict(os.environ, merged, clear=True):
            return runpy.run_path(str(SETTINGS))

    return load


def refusal(load: Any, **env: str | None) -> str:
    with pytest.raises(ImproperlyConfigured) as caught:
        load(**env)
    return str(caught.value)


def test_it_refuses_to_start_without_a_secret_key_and_says_how_to_make_one(load: Any) -> None:
    message = refusal(load, SECRET_KEY=None)
    assert message.startswith("SECRET_KEY is not set")
    assert "secrets.token_urlsafe(50)" in message and "SECRET_KEY_FILE" in message


def test_it_refuses_the_development_default_key(load: Any) -> None:
    assert refusal(load, SECRET_KEY=DEV_DEFAULT_KEY).startswith(
        "SECRET_KEY is the development default"
    )


def test_it_refuses_a_key_shorter_than_50_characters(load: Any) -> None:
    message = refusal(load, SECRET_KEY=STRONG_KEY[:49])
    assert message.startswith("SECRET_KEY is 49 characters long")
    assert load(SECRET_KEY=STRONG_KEY[:50])["SECRET_KEY"] == STRONG_KEY[:50]


def test_it_refuses_a_key_that_repeats_a_few_characters(load: Any) -> None:
    assert refusal(load, SECRET_KEY="ab" * 30).startswith(
        "SECRET_KEY has only 2 different characters"
    )


def test_it_reads_the_key_from_a_mounted_file_and_checks_it_too(load: Any, tmp_path: Path) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text(STRONG_KEY + "\n")
    assert load(SECRET_KEY=None, SECRET_KEY_FILE=str(secret))["SECRET_KEY"] == STRONG_KEY
    secret.write_text("short")
    assert "SECRET_KEY is 5 characters long" in refusal(
        load, SECRET_KEY=None, SECRET_KEY_FILE=str(secret)
    )


def test_it_keeps_the_development_default_when_debug_is_on(load: Any) -> None:
    assert load(DEBUG="1", SECRET_KEY=None)["SECRET_KEY"] == DEV_DEFAULT_KEY
    assert load(DEBUG="1", SECRET_KEY="short")["SECRET_KEY"] == "short"


def test_it_starts_with_the_environment_keystroke_dev_gives_its_children(
    load: Any, tmp_path: Path
) -> None:
    with mock.patch.dict(os.environ, {"KEYSTROKE_HOME": str(tmp_path)}, clear=True):
        env = child_env("http://127.0.0.1:8000")
    settings = load(**env, SECRET_KEY=None)
    assert settings["DEBUG"] is True and settings["SECRET_KEY"] == DEV_DEFAULT_KEY
    assert settings["SESSION_COOKIE_SECURE"] is False and settings["SECURE_SSL_REDIRECT"] is False


def test_an_https_public_url_brings_secure_cookies_csrf_origin_hsts_and_the_redirect(
    load: Any,
) -> None:
    settings = load(KEYSTROKE_PUBLIC_URL="https://Keystroke.Example.com/")
    assert settings["SESSION_COOKIE_SECURE"] is True and settings["CSRF_COOKIE_SECURE"] is True
    assert settings["CSRF_TRUSTED_ORIGINS"] == ["https://keystroke.example.com"]
    assert settings["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert (
        settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
        and settings["SECURE_HSTS_PRELOAD"] is False
    )
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert "keystroke.example.com" in settings["ALLOWED_HOSTS"]


def test_load_balancer_probes_are_not_redirected_to_https(load: Any) -> None:
    exempt = load(KEYSTROKE_PUBLIC_URL="https://keystroke.example.com")["SECURE_REDIRECT_EXEMPT"]

    def is_exempt(path: str) -> bool:  # as SecurityMiddleware matches them
        return any(re.search(pattern, path.lstrip("/")) for pattern in exempt)

    assert all(is_exempt(path) for path in ("/healthz", "/readyz", "/metrics", "/healthz/"))
    assert not any(
        is_exempt(path) for path in ("/history/", "/api/runs", "/metrics/../history/", "/healthzz")
    )


def test_hsts_and_the_redirect_follow_their_knobs(load: Any) -> None:
    settings = load(
        KEYSTROKE_PUBLIC_URL="https://keystroke.example.com",
        KEYSTROKE_HSTS_SECONDS="600",
        KEYSTROKE_HSTS_INCLUDE_SUBDOMAINS="0",
        KEYSTROKE_HSTS_PRELOAD="1",
        KEYSTROKE_SSL_REDIRECT="0",
    )
    assert settings["SECURE_HSTS_SECONDS"] == 600
    assert (
        settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
        and settings["SECURE_HSTS_PRELOAD"] is True
    )
    assert settings["SECURE_SSL_REDIRECT"] is False


def test_a_plain_http_public_url_keeps_cookies_usable_over_http(load: Any) -> None:
    settings = load(KEYSTROKE_PUBLIC_URL="http://10.0.0.5:8000")
    assert settings["SESSION_COOKIE_SECURE"] is False and settings["CSRF_COOKIE_SECURE"] is False
    assert settings["SECURE_HSTS_SECONDS"] == 0 and settings["SECURE_SSL_REDIRECT"] is False
    assert settings["CSRF_TRUSTED_ORIGINS"] == ["http://10.0.0.5:8000"]
    assert "10.0.0.5" in settings["ALLOWED_HOSTS"]


def test_an_explicit_allowed_hosts_wins_over_the_public_url(load: Any) -> None:
    settings = load(
        KEYSTROKE_PUBLIC_URL="https://keystroke.example.com",
        ALLOWED_HOSTS="a.example.com, b.example.com",
    )
    assert settings["ALLOWED_HOSTS"] == ["a.example.com", "b.example.com"]


@pytest.mark.parametrize(
    "url",
    [
        "keystroke.example.com",
        "ftp://keystroke.example.com",
        "https://",
        "https://h.example.com/keystroke",
        "https://h.example.com:99999",
        "https://user:pw@h.example.com",
        "https://h.example.com?x=1",
    ],
)
def test_it_refuses_a_public_url_that_is_not_an_http_origin(load: Any, url: str) -> None:
    shown = url.replace(":pw@", ":***@")
    assert refusal(load, KEYSTROKE_PUBLIC_URL=url).startswith(f"KEYSTROKE_PUBLIC_URL={shown!r}")


@pytest.mark.parametrize(
    "name", ["KEYSTROKE_HSTS_SECONDS", "KEYSTROKE_LOGIN_FAILURE_LIMIT", "EMAIL_PORT"]
)
def test_it_refuses_a_number_that_is_not_an_integer(load: Any, name: str) -> None:
    assert refusal(load, KEYSTROKE_PUBLIC_URL="https://k.example.com", **{name: "1y"}).startswith(
        f"{name}='1y'"
    )


def test_trusting_the_proxy_reads_the_scheme_and_host_it_forwards(load: Any) -> None:
    settings = load(KEYSTROKE_TRUST_PROXY="1")
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings["USE_X_FORWARDED_HOST"] is True and settings["KEYSTROKE_TRUST_PROXY"] == 1
    assert load(KEYSTROKE_TRUST_PROXY="2")["KEYSTROKE_TRUST_PROXY"] == 2


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(load: Any) -> None:
    settings = load()
    assert settings.get("SECURE_PROXY_SSL_HEADER") is None
    assert settings["USE_X_FORWARDED_HOST"] is False and settings["KEYSTROKE_TRUST_PROXY"] == 0
    assert refusal(load, KEYSTROKE_TRUST_PROXY="nginx").startswith("KEYSTROKE_TRUST_PROXY='nginx'")


def test_email_comes_from_an_email_url_and_turns_on_password_reset(load: Any) -> None:
    settings = load(
        EMAIL_URL="smtp+tls://keystroke%40example.com:p%40ss@mail.example.com",
        DEFAULT_FROM_EMAIL="k@e.com",
    )
    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"]) == ("mail.example.com", 587)
    assert (settings["EMAIL_HOST_USER"], settings["EMAIL_HOST_PASSWORD"]) == (
        "keystroke@example.com",
        "p@ss",
    )
    assert settings["EMAIL_USE_TLS"] is True and settings["EMAIL_USE_SSL"] is False
    assert settings["DEFAULT_FROM_EMAIL"] == settings["SERVER_EMAIL"] == "k@e.com"
    assert settings["KEYSTROKE_PASSWORD_RESET"] is True
    smtps = load(EMAIL_URL="smtps://mail.example.com")
    assert (smtps["EMAIL_PORT"], smtps["EMAIL_USE_SSL"], smtps["EMAIL_USE_TLS"]) == (
        465,
        True,
        False,
    )
    assert refusal(load, EMAIL_URL="imap://mail.example.com").startswith(
        "EMAIL_URL='imap://mail.example.com'"
    )


def test_email_comes_from_separate_variables_with_a_mounted_password(
    load: Any, tmp_path: Path
) -> None:
    password = tmp_path / "smtp_password"
    password.write_text("s3cret\n")
    settings = load(
        EMAIL_HOST="mail.example.com",
        EMAIL_PORT="2525",
        EMAIL_HOST_USER="keystroke",
        EMAIL_HOST_PASSWORD_FILE=str(password),
        EMAIL_USE_TLS="1",
    )
    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"], settings["EMAIL_HOST_PASSWORD"]) == (
        "mail.example.com",
        2525,
        "s3cret",
    )
    assert settings["EMAIL_USE_TLS"] is True and settings["KEYSTROKE_PASSWORD_RESET"] is True


def test_without_email_there_is_no_password_reset(load: Any) -> None:
    assert load()["KEYSTROKE_PASSWORD_RESET"] is False


def env_example() -> dict[str, str]:
    """The variables of .env.example, as a shell or docker compose would read them."""
    env = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    return env


def test_the_documented_production_environment_passes_check_deploy(tmp_path: Path) -> None:
    env = env_example()
    assert env["DEBUG"] == "0" and env["KEYSTROKE_PUBLIC_URL"].startswith("https://")
    assert env["SECRET_KEY"] == "", "the example leaves the key to be generated"
    env |= {"SECRET_KEY": STRONG_KEY, "PATH": os.environ["PATH"]}
    # The example's relative KEYSTROKE_HOME would be created in the checkout.
    env |= {"KEYSTROKE_HOME": str(tmp_path / "home"), "STATIC_ROOT": str(tmp_path / "static")}
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout, done.stdout + done.stderr


def test_every_variable_the_settings_read_is_in_env_example() -> None:
    read = set(re.findall(r"""env_\w+\(\s*["']([A-Z_]+)["']""", SETTINGS.read_text()))
    read |= set(
        re.findall(r"""os\.environ(?:\.get)?[\[(]\s*["']([A-Z_]+)["']""", SETTINGS.read_text())
    )
    # The engine's knobs, read through a table of (variable, type).
    read |= set(
        re.findall(
            r"""\(\s*["'](KEYSTROKE_[A-Z_]+)["'],\s*(?:str|int|float)\)""", SETTINGS.read_text()
        )
    )
    # A NAME_FILE variant is documented on the line of its NAME.
    missing = sorted(
        name for name in read if name not in env_example() and not name.endswith("_FILE")
    )
    assert not missing, f"add these to .env.example with a comment: {missing}"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EMAIL_URL", "smtp+ssl://mailer:hunter2@mail.example.com:465"),
        ("KEYSTROKE_PUBLIC_URL", "https://ops:hunter2@x.io/"),
    ],
)
def test_a_refused_url_is_shown_without_its_password(load: Any, name: str, value: str) -> None:
    message = refusal(load, **{name: value})
    assert message.startswith(name) and "hunter2" not in message and ":***@" in message


@pytest.mark.parametrize("variable", ["DEBUG", "KEYSTROKE_TRACING", "KEYSTROKE_OFFLINE_MODELS"])
def test_a_boolean_setting_that_is_not_one_stops_startup_naming_the_variable(
    load: Any, variable: str
) -> None:
    message = refusal(load, **{variable: "maybe"})
    assert message == f"{variable}='maybe' is not a boolean: use 1/0, true/false, yes/no."


@pytest.mark.parametrize(("raw", "expected"), [("off", False), ("No", False), ("1", True)])
def test_tracing_and_offline_models_read_booleans_as_every_setting_does(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    from workflows.llm.providers import offline
    from workflows.tracing import tracing_enabled

    monkeypatch.setenv("KEYSTROKE_TRACING", raw)
    monkeypatch.setenv("KEYSTROKE_OFFLINE_MODELS", raw)
    assert tracing_enabled() is expected and offline() is expected
