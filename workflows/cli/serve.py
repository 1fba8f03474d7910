"""``keystroke serve``: the production web server (gunicorn) with sensible defaults.

``keystroke dev`` runs the same gunicorn with development options. This replaces the process
with gunicorn, so a process manager's signals (SIGTERM for a graceful stop, SIGHUP to reload)
reach it directly.
"""

from __future__ import annotations

import os
import sys

import click


def default_workers() -> int:
    # gunicorn's own rule of thumb: two per core plus one.
    return 2 * (os.cpu_count() or 1) + 1


def bind_address(host: str, port: int) -> str:
    # gunicorn reads an IPv6 address only in brackets.
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def gunicorn_args(bind: str, workers: int, timeout: int, graceful_timeout: int) -> list[str]:
    """``timeout`` 0: a request may take as long as it takes (gunicorn's own meaning)."""
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "keystroke_site.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        # How many of them may hold a run's ?wait, and for how long, follow from these
        # (history.api.waiting).
        "--env",
        f"KEYSTROKE_WEB_WORKERS={workers}",
        "--env",
        f"KEYSTROKE_WEB_TIMEOUT={timeout}",
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        str(graceful_timeout),
        "--keep-alive",
        "5",
        # Recycling workers now and then bounds the memory a leak or a huge payload can hold.
        "--max-requests",
        "2000",
        "--max-requests-jitter",
        "200",
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        "--logger-class",
        "workflows.cli.access_log.RedactingLogger",
    ]
    proxies = os.environ.get("KEYSTROKE_FORWARDED_ALLOW_IPS")
    if proxies:
        # Which peers may set X-Forwarded-*; without it gunicorn trusts only 127.0.0.1.
        args += ["--forwarded-allow-ips", proxies]
    return args


@click.command()
@click.option(
    "--host",
    default=lambda: os.environ.get("KEYSTROKE_HOST", "127.0.0.1"),
    show_default="127.0.0.1",
    help="Address to listen on (KEYSTROKE_HOST); 0.0.0.0 for every interface.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=lambda: int(os.environ.get("PORT", 8000)),
    show_default="8000",
    help="Port to listen on (PORT).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=lambda: int(os.environ.get("KEYSTROKE_WEB_WORKERS") or default_workers()),
    show_default="2 × cores + 1",
    help="Web worker processes (KEYSTROKE_WEB_WORKERS).",
)
@click.option(
    "--timeout",
    type=click.IntRange(1, 3600),
    default=30,
    envvar="KEYSTROKE_WEB_TIMEOUT",
    show_default=True,
    help="Seconds before a stuck request's worker is restarted (KEYSTROKE_WEB_TIMEOUT).",
)
def serve(host: str, port: int, workers: int, timeout: int) -> None:
    """Serve the web app and the API with gunicorn (run migrate and collectstatic first)."""
    args = gunicorn_args(bind_address(host, port), workers, timeout, timeout)
    os.execv(args[0], args)
