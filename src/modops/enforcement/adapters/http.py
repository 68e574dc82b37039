"""A small HTTP client for adapters (stdlib only), mapping failures to retryable or not."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from modops.enforcement.adapters.base import DeliveryError

TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> object:
        return json.loads(self.body) if self.body else None


def send(method: str, url: str, headers: dict[str, str], body: bytes | None = None) -> Response:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310 - http(s) URLs from admin config
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as resp:  # noqa: S310 - URLs come from admin config
            return Response(resp.status, resp.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:500].decode("utf-8", "replace")
        # 408, 425, 429 and 5xx are worth retrying; other 4xx will fail the same way again.
        retryable = exc.code in {408, 425, 429} or exc.code >= 500
        raise DeliveryError(f"{method} {url} → {exc.code}: {detail}", retryable=retryable) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise DeliveryError(f"{method} {url} failed: {exc}", retryable=True) from None
