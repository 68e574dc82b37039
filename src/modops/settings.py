"""Django settings for modops, read from the environment.

Defaults give the embedded set-up (SQLite in ``./var``, DEBUG on). Production sets
``MODOPS_DEBUG=0``, ``SECRET_KEY`` and ``DATABASE_URL``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("MODOPS_DATA_DIR", Path.cwd() / "var"))

_DEFAULT_SECRET = "modops-insecure-development-key-change-me"  # noqa: S105 - refused when DEBUG is off


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("MODOPS_DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", _DEFAULT_SECRET)
if not DEBUG and SECRET_KEY == _DEFAULT_SECRET:
    raise ImproperlyConfigured("SECRET_KEY must be set when MODOPS_DEBUG is off")

ALLOWED_HOSTS = [h for h in os.environ.get("MODOPS_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "modops.audit",
    "modops.policies",
    "modops.accounts",
    "modops.subjects",
    "modops.review",
    "modops.intake",
    "modops.enforcement",
    "modops.workforce",
    "modops.insights",
    "modops.demo",
    "modops.mediastore",
    "modops.screening",
    "modops.integrations",
    "modops.console",
    "modops.hashbanks",
    "modops.childsafety",
    "axes",
]

MIDDLEWARE = [
    "modops.api.middleware.ApiBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns lockouts raised during authentication into responses.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "modops.urls"
WSGI_APPLICATION = "modops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "modops.console.context.console",
            ]
        },
    }
]


def _database() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL")
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA_DIR / 'modops.sqlite3'}"
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE takes the write lock at BEGIN, so concurrent claims and
        # deliveries serialise instead of failing with "database is locked".
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        config["CONN_MAX_AGE"] = 0
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_SAMESITE = "Lax"
# A session ends after a shift's length of inactivity, and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("MODOPS_SESSION_SECONDS", 9 * 3600))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True  # the console reads the token from a meta tag, never the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_HSTS_SECONDS = int(os.environ.get("MODOPS_HSTS_SECONDS", 31536000))
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:queues"
LOGOUT_REDIRECT_URL = "console:login"

# Sign-in: django-axes locks a username (from one address) out after repeated failures.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("MODOPS_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = float(os.environ.get("MODOPS_LOGIN_COOLOFF_HOURS", 0.25))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "console/locked_out.html"
AXES_VERBOSE = False

# Optional OpenID Connect single sign-on, on when MODOPS_OIDC_CLIENT_ID is set. Users are matched by
# e-mail to existing staff accounts and never created from a sign-in.
MODOPS_OIDC_ENABLED = bool(os.environ.get("MODOPS_OIDC_CLIENT_ID"))
if MODOPS_OIDC_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("mozilla_django_oidc.auth.OIDCAuthenticationBackend")
    OIDC_RP_CLIENT_ID = os.environ["MODOPS_OIDC_CLIENT_ID"]
    OIDC_RP_CLIENT_SECRET = os.environ.get("MODOPS_OIDC_CLIENT_SECRET", "")
    OIDC_RP_SIGN_ALGO = os.environ.get("MODOPS_OIDC_SIGN_ALGO", "RS256")
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ["MODOPS_OIDC_AUTHORIZATION_ENDPOINT"]
    OIDC_OP_TOKEN_ENDPOINT = os.environ["MODOPS_OIDC_TOKEN_ENDPOINT"]
    OIDC_OP_USER_ENDPOINT = os.environ["MODOPS_OIDC_USER_ENDPOINT"]
    OIDC_OP_JWKS_ENDPOINT = os.environ.get("MODOPS_OIDC_JWKS_ENDPOINT", "")
    OIDC_CREATE_USER = False
    OIDC_RP_SCOPES = "openid email"

# Content-Security-Policy: everything from modops itself; no inline scripts, no CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# API: bodies over this are refused with 413 before parsing.
MODOPS_API_MAX_BODY_BYTES = int(os.environ.get("MODOPS_API_MAX_BODY_BYTES", 256 * 1024))
# Intake group commit: concurrent single reports in one process are committed together (threaded
# servers); a request still gets its 202 only once its own report is committed.
MODOPS_INTAKE_GROUP_COMMIT = _flag("MODOPS_INTAKE_GROUP_COMMIT", False)
MODOPS_INTAKE_GROUP_MAX = int(os.environ.get("MODOPS_INTAKE_GROUP_MAX", 200))
MODOPS_INTAKE_GROUP_WAIT_MS = float(os.environ.get("MODOPS_INTAKE_GROUP_WAIT_MS", 2))
# Chat screening: modops-minilm re-scores the messages the fast classifier is unsure of. Off by
# default in live screening: it costs milliseconds for each message it sees (docs/screening.md).
MODOPS_SECOND_STAGE = _flag("MODOPS_SECOND_STAGE", False)
# Review leases: a claimed item returns to its queue after this many seconds.
MODOPS_LEASE_SECONDS = int(os.environ.get("MODOPS_LEASE_SECONDS", 600))
# The hot paths' statements are prepared once per PostgreSQL connection; off behind a pooler that
# moves a session's statements between server connections (PgBouncer in transaction mode).
MODOPS_DB_PREPARE = _flag("MODOPS_DB_PREPARE", True)
# Outbox: attempts before a message is dead-lettered.
MODOPS_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("MODOPS_OUTBOX_MAX_ATTEMPTS", 8))
# Exposure to tier >= 2 material: the cap within a rolling shift window (1 hour per 8 hours).
MODOPS_EXPOSURE_CAP_SECONDS = int(os.environ.get("MODOPS_EXPOSURE_CAP_SECONDS", 3600))
MODOPS_EXPOSURE_WINDOW_SECONDS = int(os.environ.get("MODOPS_EXPOSURE_WINDOW_SECONDS", 8 * 3600))
# Media matching: upload limits (checked before any decoder runs) and the optional nudity detector.
MODOPS_MEDIA_MAX_IMAGE_BYTES = int(os.environ.get("MODOPS_MEDIA_MAX_IMAGE_BYTES", 20 * 1024 * 1024))
MODOPS_MEDIA_MAX_VIDEO_BYTES = int(os.environ.get("MODOPS_MEDIA_MAX_VIDEO_BYTES", 200 * 1024 * 1024))
MODOPS_MEDIA_MAX_PIXELS = int(os.environ.get("MODOPS_MEDIA_MAX_PIXELS", 50_000_000))
MODOPS_NUDITY_DETECTION = _flag("MODOPS_NUDITY_DETECTION", False)
# Child safety: the AES-256 evidence key (base64). Refused missing in production; DEBUG derives one.
MODOPS_EVIDENCE_KEY = os.environ.get("MODOPS_EVIDENCE_KEY", "")
if not DEBUG and not MODOPS_EVIDENCE_KEY:
    raise ImproperlyConfigured("MODOPS_EVIDENCE_KEY must be set when MODOPS_DEBUG is off")
MODOPS_EVIDENCE_RETENTION_DAYS = int(os.environ.get("MODOPS_EVIDENCE_RETENTION_DAYS", 365))
# NCMEC CyberTipline Reporting API; submission is off until the URL is set.
MODOPS_NCMEC_URL = os.environ.get("MODOPS_NCMEC_URL", "")
MODOPS_NCMEC_USERNAME = os.environ.get("MODOPS_NCMEC_USERNAME", "")
MODOPS_NCMEC_PASSWORD = os.environ.get("MODOPS_NCMEC_PASSWORD", "")
MODOPS_NCMEC_REPORTER_EMAIL = os.environ.get("MODOPS_NCMEC_REPORTER_EMAIL", "trust-safety@example.invalid")
MODOPS_NCMEC_ESP_SERVICE = os.environ.get("MODOPS_NCMEC_ESP_SERVICE", "modops")
MODOPS_PUBLIC_APPEAL_URL = os.environ.get("MODOPS_PUBLIC_APPEAL_URL", "https://example.invalid/appeals")
# /metrics: when set, scrapers must send "Authorization: Bearer <token>".
MODOPS_METRICS_TOKEN = os.environ.get("MODOPS_METRICS_TOKEN", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "modops.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MODOPS_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "faiss.loader": {"level": "WARNING"},  # which CPU build it loaded, at every start
    },
}

# Twitch EventSub webhook secret (10-100 characters); the receiver answers 503 without it.
MODOPS_TWITCH_EVENTSUB_SECRET = os.environ.get("MODOPS_TWITCH_EVENTSUB_SECRET", "")
# Chat bus: nats://host:port sends chat through NATS JetStream to `modops screen-worker` processes;
# empty screens in-process. Stream and subject prefix are settable so deployments (and tests) can share a server.
MODOPS_BUS_URL = os.environ.get("MODOPS_BUS_URL", "")
MODOPS_BUS_STREAM = os.environ.get("MODOPS_BUS_STREAM", "MODOPS_CHAT")
MODOPS_BUS_PREFIX = os.environ.get("MODOPS_BUS_PREFIX", "modops")
# An NDJSON screening stream is read line by line, so it may be far larger than a JSON body.
MODOPS_SCREEN_STREAM_MAX_BYTES = int(os.environ.get("MODOPS_SCREEN_STREAM_MAX_BYTES", 256 * 1024 * 1024))
