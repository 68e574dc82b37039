#!/usr/bin/env bash
# The embedded default: SQLite in ./var, the demo loaded once, the worker in the background.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=modops.settings
unset DATABASE_URL
.venv/bin/modops migrate --noinput -v0
.venv/bin/modops demo --if-empty
.venv/bin/modops worker &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT
echo "modops is serving on http://127.0.0.1:8000 (Ctrl-C stops it)"
.venv/bin/modops runserver 127.0.0.1:8000 --noreload
