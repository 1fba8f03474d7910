"""Settings for Keystroke, all read from the environment.

With no environment at all the project runs on its embedded default: SQLite (WAL) and
kombu's filesystem broker under ``.keystroke/``. Production sets ``DATABASE_URL`` to
PostgreSQL and ``CELERY_BROKER_URL`` to Redis or RabbitMQ.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no.")


def env_number(name: str, default: float, cast: type = int) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return cast(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a {cast.__name__}.") from None


def env_secret(name: str, default: str) -> str:
    """Read NAME, or the contents of the file named by NAME_FILE (for mounted secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from None
    return os.environ.get(name, default)


KEYSTROKE_HOME = Path(os.environ.get("KEYSTROKE_HOME", BASE_DIR / ".keystroke"))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY", "dev-insecure-keystroke-secret-key-change-me")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",") if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "history",
    "workflows",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "keystroke_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "keystroke_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{KEYSTROKE_HOME / 'db.sqlite3'}"),
        conn_max_age=int(env_number("DB_CONN_MAX_AGE", 600)),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    KEYSTROKE_HOME.mkdir(parents=True, exist_ok=True)
    # Web, worker and beat share one file: WAL lets readers run beside the writer, and
    # IMMEDIATE transactions queue writers instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", KEYSTROKE_HOME / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve straight from static/ too, so the embedded default needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/history/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "history.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["history.permissions.IsOrganizationMember"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "history.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Keystroke API",
    "DESCRIPTION": "Start, inspect, cancel and retry durable workflow runs. Errors are "
    '`{"error": {"type", "message", "details"}}`.',
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["history.permissions.IsOrganizationMember"],
    # Swagger UI from the sidecar package, served by this server: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Celery: the database is the source of truth, so no result backend is needed.
_broker_dir = KEYSTROKE_HOME / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("KEYSTROKE_QUEUE", "keystroke")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Keep the database connection across tasks instead of reconnecting for each one.
CELERY_DB_REUSE_MAX = 1000
CELERY_BEAT_SCHEDULE_FILENAME = str(KEYSTROKE_HOME / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "fire-timers": {
        "task": "workflows.tasks.fire_timers",
        "schedule": timedelta(seconds=env_number("KEYSTROKE_TIMER_INTERVAL", 1.0, float)),
    },
    "fire-triggers": {
        "task": "workflows.tasks.fire_triggers",
        "schedule": timedelta(seconds=env_number("KEYSTROKE_TRIGGER_INTERVAL", 10.0, float)),
    },
    "sweep-runs": {
        "task": "workflows.tasks.sweep_runs",
        "schedule": timedelta(seconds=env_number("KEYSTROKE_SWEEP_INTERVAL", 10.0, float)),
    },
    "prune-runs": {
        "task": "workflows.tasks.prune_runs",
        "schedule": timedelta(seconds=env_number("KEYSTROKE_PRUNE_INTERVAL", 300.0, float)),
    },
}

# Engine knobs; workflows/conf.py holds their defaults and what each one means.
_ENGINE_ENV = {
    "PROJECT_DIR": ("KEYSTROKE_PROJECT_DIR", str),
    "PUBLIC_URL": ("KEYSTROKE_PUBLIC_URL", str),
    "MAX_PAYLOAD": ("KEYSTROKE_MAX_PAYLOAD", int),
    "LEASE_SECONDS": ("KEYSTROKE_LEASE_SECONDS", float),
    "STALE_QUEUED_SECONDS": ("KEYSTROKE_STALE_QUEUED_SECONDS", float),
    "RETENTION": ("KEYSTROKE_RETENTION", str),
    "DELIVERY_RETENTION": ("KEYSTROKE_DELIVERY_RETENTION", str),
    "PRUNE_SECONDS": ("KEYSTROKE_PRUNE_SECONDS", float),
}
KEYSTROKE_WORKFLOWS = {
    key: env_number(name, 0, cast) if cast is not str else os.environ[name]
    for key, (name, cast) in _ENGINE_ENV.items()
    if os.environ.get(name)
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
