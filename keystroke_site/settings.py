"""Settings for Keystroke, all read from the environment.

With no environment at all the project runs on its embedded default: SQLite (WAL) and
kombu's filesystem broker under ``.keystroke/``. Production sets ``DATABASE_URL`` to
PostgreSQL and ``CELERY_BROKER_URL`` to Redis or RabbitMQ.

With ``DEBUG`` off (production) start-up refuses a weak ``SECRET_KEY``, and an ``https://``
``KEYSTROKE_PUBLIC_URL`` turns on secure cookies, HSTS and the redirect to HTTPS.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from keystroke_site.env import env_bool, env_int, env_number, env_origin, env_proxies, env_secret

BASE_DIR = Path(__file__).resolve().parent.parent

KEYSTROKE_HOME = Path(os.environ.get("KEYSTROKE_HOME", BASE_DIR / ".keystroke"))


def checked_secret_key(key: str) -> str:
    """Sessions, password reset links and hook resume tokens (HMACs) are signed with SECRET_KEY."""
    if not key:
        problem = "is not set"
    elif key == DEV_SECRET_KEY:
        problem = "is the development default, which anyone can read in the source"
    elif len(key) < 50:
        problem = f"is {len(key)} characters long; it needs at least 50"
    elif len(set(key)) < 5:
        problem = f"has only {len(set(key))} different characters"
    else:
        return key
    raise ImproperlyConfigured(
        f"SECRET_KEY {problem}. With DEBUG off it signs sessions and hook resume tokens, so it "
        "must be a long random secret. Generate one with `python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))'` "
        "and set SECRET_KEY, or write it to a file and set SECRET_KEY_FILE to that path."
    )


DEBUG = env_bool("DEBUG", False)
# Read again where they are used (a test may change them); read here so a bad value stops startup.
env_bool("KEYSTROKE_TRACING", True)
env_bool("KEYSTROKE_OFFLINE_MODELS", False)
# For DEBUG only (keystroke dev): it is public, so production refuses it.
DEV_SECRET_KEY = "dev-insecure-keystroke-secret-key-change-me"
SECRET_KEY = env_secret("SECRET_KEY", "") or (DEV_SECRET_KEY if DEBUG else "")
if not DEBUG:
    SECRET_KEY = checked_secret_key(SECRET_KEY)

# The address people open (also the base of hook resume and webhook URLs).
_public = env_origin("KEYSTROKE_PUBLIC_URL")
_https = _public is not None and _public[0] == "https"
if os.environ.get("ALLOWED_HOSTS", "").strip():
    ALLOWED_HOSTS = [h.strip() for h in os.environ["ALLOWED_HOSTS"].split(",") if h.strip()]
else:
    ALLOWED_HOSTS = [
        "localhost",
        "127.0.0.1",
        "[::1]",
        "testserver",
        *([_public[1]] if _public else []),
    ]
# Browsers send the public origin with every form post; behind a TLS proxy it differs from the
# scheme and host the app sees unless the proxy is trusted.
CSRF_TRUSTED_ORIGINS = [_public[2]] if _public else []

# Served over HTTPS: cookies never travel in clear, and browsers remember to use HTTPS only.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _https
_hsts_seconds = env_int("KEYSTROKE_HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_SECONDS = _hsts_seconds if _https else 0
# Covers only hosts under the public one (for keystroke.example.com, *.keystroke.example.com).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KEYSTROKE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading binds the whole registrable domain for months, so it is the operator's call; while it
# is off, Django's reminder about it (security.W021) is silenced.
SECURE_HSTS_PRELOAD = env_bool("KEYSTROKE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_SSL_REDIRECT = env_bool("KEYSTROKE_SSL_REDIRECT", _https)
# Load balancers probe these over plain HTTP and must get an answer, not a redirect.
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)/?$"]
# When set, GET /metrics needs "Authorization: Bearer <token>"; unset, it is open (internal network
# only).
KEYSTROKE_METRICS_TOKEN = env_secret("KEYSTROKE_METRICS_TOKEN", "")

# Behind a reverse proxy the app sees the proxy's connection: trust the scheme, host and client
# address it forwards. Only with every request passing through it, or clients could claim them.
KEYSTROKE_TRUST_PROXY = env_proxies("KEYSTROKE_TRUST_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if KEYSTROKE_TRUST_PROXY else None
USE_X_FORWARDED_HOST = bool(KEYSTROKE_TRUST_PROXY)

INSTALLED_APPS = [
    "history.admin_site.KeystrokeAdminConfig",  # the admin, for superusers only
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
    "csp",
    "axes",
    "history",
    "workflows",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "history.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "history.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "history.middleware.HideHookTokensMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django turns psycopg's prepared statements off, for poolers that cannot keep them. The
    # engine's hot statements ask for preparation by name (workflows/store/dialect.py); a
    # threshold no statement reaches keeps every other one unprepared. DB_PREPARED_STATEMENTS=0
    # for a pooler older than PgBouncer 1.21 in transaction mode.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        2**31 - 1 if env_bool("DB_PREPARED_STATEMENTS", True) else None
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    KEYSTROKE_HOME.mkdir(parents=True, exist_ok=True)
    # Web, worker and beat share one file: WAL lets readers run beside the writer, and
    # IMMEDIATE transactions queue writers instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }

# ?wait hears a run settle through LISTEN on a session of its own; DB_LISTEN=0 behind a pooler in
# transaction mode, which cannot keep a session's LISTEN (waits then look with growing pauses).
KEYSTROKE_WAIT_LISTEN = env_bool("DB_LISTEN", True)

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
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or KEYSTROKE_HOME / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve straight from static/ too, so the embedded default needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    # Run workspaces (define_workflow(workspace=True)): content-addressed files, a folder per run,
    # under KEYSTROKE_HOME unless a bucket is named (workers and web processes must share them).
    "workspaces": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(KEYSTROKE_HOME / "workspaces")},
    },
}
if os.environ.get("KEYSTROKE_WORKSPACE_S3_BUCKET"):
    # Credentials as boto3 finds them: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile,
    # or the machine's role.
    STORAGES["workspaces"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["KEYSTROKE_WORKSPACE_S3_BUCKET"],
            "endpoint_url": os.environ.get("KEYSTROKE_WORKSPACE_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("KEYSTROKE_WORKSPACE_S3_REGION") or None,
            "location": os.environ.get("KEYSTROKE_WORKSPACE_S3_PREFIX", "workspaces"),
            "default_acl": None,  # the bucket's own policy: private unless it says otherwise
            "file_overwrite": True,  # content-addressed: a name always holds the same bytes
        },
    }

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/history/"

# Pages may use only this server's own scripts, styles and images: an injected inline script or
# a file from elsewhere does not run. The API docs page runs its inline setup with a nonce
# (templates/drf_spectacular/swagger_ui.html); a page that asks for no nonce gets none.
# the API docs draw their icons as data: images, which cannot run code
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [
            SELF,
            "data:",
        ],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Sign-in throttling (django-axes): after KEYSTROKE_LOGIN_FAILURE_LIMIT failures a username is
# locked out from that client address for the cool-off. Keyed by both, so a guesser can neither
# lock a person out everywhere nor lock out everyone behind a shared address (an office NAT).
AUTHENTICATION_BACKENDS = [
    "history.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("KEYSTROKE_LOGIN_FAILURE_LIMIT", 5)
AXES_ENABLED = AXES_FAILURE_LIMIT > 0
AXES_COOLOFF_TIME = timedelta(seconds=env_int("KEYSTROKE_LOGIN_COOLOFF_SECONDS", 15 * 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Its log of successful sign-ins would grow by a row per sign-in for ever; failures still count.
AXES_DISABLE_ACCESS_LOG = True
# Failures during a lockout do not extend it, so the wait the lockout page announces holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "history.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "history.auth.locked_out"
AXES_USERNAME_CALLABLE = "history.auth.sign_in_username"

# Unknown or revoked API keys: past the limit within the window, the address gets 429 until the
# window has passed. The count lives in the database, so every web worker and host shares it.
KEYSTROKE_API_KEY_FAILURE_LIMIT = env_int("KEYSTROKE_API_KEY_FAILURE_LIMIT", 10)
KEYSTROKE_API_KEY_FAILURE_WINDOW = env_int("KEYSTROKE_API_KEY_FAILURE_WINDOW", 60)


def email_url(raw: str) -> tuple[str, int, str, str, bool, bool]:
    """``smtp://``, ``smtp+tls://`` (STARTTLS) or ``smtps://`` (TLS) ``user:password@host:port``."""
    schemes = {
        "smtp": (25, False, False),
        "smtp+tls": (587, True, False),
        "smtps": (465, False, True),
    }
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in schemes or not parts.hostname:
        # The message goes to every process's log: never with the password in it.
        shown = (
            raw.replace(f":{parts.password}@", ":***@")
            if parts is not None and parts.password
            else raw
        )
        raise ImproperlyConfigured(
            f"EMAIL_URL={shown!r} is not an smtp://, smtp+tls:// (STARTTLS) or smtps:// (TLS) URL, "
            "such as smtp+tls://user:password@mail.example.com:587."
        )
    default_port, tls, ssl = schemes[parts.scheme]
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    return parts.hostname, port or default_port, user, password, tls, ssl


# Email sends password reset links; without a mail server the reset pages do not exist.
if os.environ.get("EMAIL_URL") or os.environ.get("EMAIL_URL_FILE"):
    EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL = (
        email_url(env_secret("EMAIL_URL", ""))
    )
else:
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = SERVER_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "keystroke@localhost")
KEYSTROKE_PASSWORD_RESET = bool(EMAIL_HOST)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "history.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["history.permissions.IsOrganizationMember"],
    "DEFAULT_PARSER_CLASSES": ["history.parsers.StorableJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "workflows.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "history.api.operations.KeystrokeAutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Keystroke API",
    "DESCRIPTION": "Start, inspect, cancel and retry durable workflow runs. Errors are "
    '`{"error": {"type", "message", "details"}}`.',
    "VERSION": "2",  # 2: lists carry previews of payloads, not payloads
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["history.permissions.IsOrganizationMember"],
    # Swagger UI from the sidecar package, served by this server: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name get names of their own, not hashes, in generated clients.
    "ENUM_NAME_OVERRIDES": {
        "RunKindEnum": "history.models.runs.Run.Kind",
        "RunStatusEnum": "history.models.runs.Run.Status",
        "StepKindEnum": "history.models.steps.Step.Kind",
        "StepStatusEnum": "history.models.steps.Step.Status",
        "RoleEnum": "history.models.accounts.Role",
        "MessageRoleEnum": "history.api.shapes.MESSAGE_ROLES",
    },
}

# Celery: the database is the source of truth, so no result backend is needed.
_broker_dir = KEYSTROKE_HOME / "broker"
# With a hostname, which the transport ignores, kombu does not warn on every connection.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Publishes each message whole (see workflows/filesystem_broker.py).
    CELERY_BROKER_TRANSPORT = "workflows.filesystem_broker:Transport"
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
# Outlives the Redis restart that made Celery 5.7 workers exit (see workflows/consumer.py).
CELERY_WORKER_CONSUMER = "workflows.consumer:Consumer"
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
    "VERSION": ("KEYSTROKE_VERSION", str),
    "WORKSPACE_MAX_BYTES": ("KEYSTROKE_WORKSPACE_MAX_BYTES", int),
    "WORKSPACE_MAX_FILES": ("KEYSTROKE_WORKSPACE_MAX_FILES", int),
    "COMMAND_TIMEOUT": ("KEYSTROKE_COMMAND_TIMEOUT", float),
    "COMMAND_MEMORY": ("KEYSTROKE_COMMAND_MEMORY", int),
    "BWRAP": ("KEYSTROKE_BWRAP", str),
    "RECORD_CELERY_TASKS": ("KEYSTROKE_RECORD_CELERY_TASKS", str),
}
KEYSTROKE_WORKFLOWS = {
    key: env_number(name, 0, cast) if cast is not str else os.environ[name]
    for key, (name, cast) in _ENGINE_ENV.items()
    if os.environ.get(name)
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Log lines lose secrets and hook tokens, as stored text does.
    "formatters": {"redacted": {"()": "workflows.log_output.RedactingFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "redacted"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # axes logs every sign-in step at INFO; its warnings (failures, lockouts) are the ones to keep.
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        # runserver's request lines (manage.py runserver), which show paths such as /hooks/<token>
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
