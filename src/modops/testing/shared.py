"""Where the shared development data lives: ``MODOPS_SHARED_DATA``, else ``../shared/data`` beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def shared_data(*parts: str) -> Path:
    base = os.environ.get("MODOPS_SHARED_DATA")
    root = Path(base) if base else REPO_ROOT.parent / "shared" / "data"
    return root.joinpath(*parts)
