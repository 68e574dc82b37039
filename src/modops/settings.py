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
    "modops.demo",
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
CSRF_COOKIE_SECURE = not DEBUG

# API: bodies over this are refused with 413 before parsing.
MODOPS_API_MAX_BODY_BYTES = int(os.environ.get("MODOPS_API_MAX_BODY_BYTES", 256 * 1024))
# Review leases: a claimed item returns to its queue after this many seconds.
MODOPS_LEASE_SECONDS = int(os.environ.get("MODOPS_LEASE_SECONDS", 600))
# Outbox: attempts before a message is dead-lettered.
MODOPS_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("MODOPS_OUTBOX_MAX_ATTEMPTS", 8))
MODOPS_PUBLIC_APPEAL_URL = os.environ.get("MODOPS_PUBLIC_APPEAL_URL", "https://example.invalid/appeals")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "modops.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MODOPS_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "django.server": {"level": "WARNING"}},
}
