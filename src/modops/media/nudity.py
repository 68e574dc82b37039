"""Optional nudity scoring with NudeNet (the ``nudity`` extra: ``pip install modops[nudity]``).

NudeNet ships its ONNX detector inside its wheel, so nothing is downloaded at run time. The
package is imported lazily: without the extra, :func:`score_nudity` raises
:class:`NudityUnavailable` and callers skip this detection source.

The score of an image is the highest detector confidence among the *exposed* classes; covered
body parts and faces are not nudity.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

EXPOSED_LABELS = frozenset(
    {
        "BUTTOCKS_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "ANUS_EXPOSED",
    }
)


class NudityUnavailable(RuntimeError):
    """The ``nudity`` extra (nudenet) is not installed."""


@dataclass(frozen=True, slots=True)
class NudityScore:
    score: float
    labels: tuple[str, ...]
    """Exposed classes found, strongest first."""


_detector: Any = None
_lock = threading.Lock()


def available() -> bool:
    try:
        import nudenet  # noqa: F401
    except ImportError:
        return False
    return True


def _get_detector() -> Any:
    global _detector
    with _lock:
        if _detector is None:
            try:
                from nudenet import NudeDetector
            except ImportError as exc:
                raise NudityUnavailable("install the nudity extra: pip install 'modops[nudity]'") from exc
            _detector = NudeDetector()
        return _detector


def score_detections(detections: list[dict[str, Any]]) -> NudityScore:
    exposed = sorted(
        ((float(d.get("score", 0.0)), str(d.get("class", ""))) for d in detections if d.get("class") in EXPOSED_LABELS),
        reverse=True,
    )
    labels: list[str] = []
    for _score, label in exposed:
        if label not in labels:
            labels.append(label)
    return NudityScore(round(exposed[0][0], 4) if exposed else 0.0, tuple(labels))


def score_nudity(data: bytes) -> NudityScore:
    """Score an image that has already passed :func:`modops.media.hashing.hash_image`'s checks."""
    detector = _get_detector()
    with Image.open(io.BytesIO(data)) as image:
        rgb = np.asarray(image.convert("RGB"))
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])  # NudeNet expects OpenCV's channel order
    return score_detections(list(detector.detect(bgr)))
