"""Outbound HTTP POSTs for partner callbacks (stdlib only: no extra dependency)."""

from __future__ import annotations

import urllib.error
import urllib.request

CALLBACK_TIMEOUT_SECONDS = 10


class WebhookError(Exception):
    """No 2xx answer in time."""


class UrllibWebhookClient:
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT_SECONDS) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            raise WebhookError(f"HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise WebhookError(type(exc).__name__) from None
        if not 200 <= status < 300:
            raise WebhookError(f"HTTP {status}")
        return status
