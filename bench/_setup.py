"""Shared set-up for benchmarks that need the application: a throw-away PostgreSQL database."""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = os.environ.get("MODOPS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def fresh_database(name: str) -> str:
    """Drop and create database ``name`` next to BASE_URL's; return its URL."""
    with psycopg.connect(BASE_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return BASE_URL.rsplit("/", 1)[0] + "/" + name


def django_on(url: str) -> None:
    """Django on ``url`` with production settings (DEBUG off), as a deployment runs."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "modops.settings")
    os.environ.setdefault("MODOPS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("MODOPS_DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 40)
    # Production settings refuse to start without an evidence key; a throw-away one for the run.
    os.environ.setdefault("MODOPS_EVIDENCE_KEY", base64.b64encode(os.urandom(32)).decode())
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
