#!/usr/bin/env bash
# Create .venv at the repository root with the locked dependencies and modops installed editable.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check 'uv>=0.5'
.venv/bin/uv pip install --python .venv/bin/python -q -r requirements.lock
.venv/bin/uv pip install --python .venv/bin/python -q --no-deps -e .
bash scripts/build-assets.sh
