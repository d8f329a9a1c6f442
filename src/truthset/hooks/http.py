"""HTTP(S) hooks: the event POSTed as JSON, the JSON response is the handler's return value.

Every request is signed so the receiver can tell it came from this deployment:
`X-Truthset-Timestamp: <unix seconds>` and `X-Truthset-Signature: sha256=<hex>`, the HMAC-SHA256
of `<timestamp>.<body>` under the endpoint's secret (`truthset hook secret URL` prints it; it is
derived from the deployment's secret key and the URL, so each endpoint has its own). Connection
errors, timeouts, 429 and 5xx are retried with back-off; redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from truthset.hooks.base import HookLimits, Outcome

ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
SIGNATURE_HEADER = "X-Truthset-Signature"
TIMESTAMP_HEADER = "X-Truthset-Timestamp"


def endpoint_secret(secret_key: str, url: str) -> str:
    return hmac.new(secret_key.encode(), f"truthset-hook:{url}".encode(), "sha256").hexdigest()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


class HttpHook:
    def __init__(self, url: str, secret_key: str, limits: HookLimits) -> None:
        self.name = url
        self.url = url
        self.secret = endpoint_secret(secret_key, url)
        self.limits = limits
        self.client: httpx.Client | None = None

    def __enter__(self) -> HttpHook:
        self.client = httpx.Client(timeout=self.limits.seconds, follow_redirects=False)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.client is not None:
            self.client.close()

    def invoke(self, event: dict[str, Any]) -> Outcome:
        body = json.dumps(event).encode()
        outcome = Outcome(error="not sent")
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
            outcome, retry = self._post(body)
            if not retry:
                break
        return outcome

    def _post(self, body: bytes) -> tuple[Outcome, bool]:
        """The outcome of one request, and whether trying again may help."""
        assert self.client is not None, "use the hook as a context manager"
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: signature(self.secret, stamp, body),
        }
        try:
            with self.client.stream("POST", self.url, content=body, headers=headers) as response:
                data = b""
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > self.limits.max_response:
                        limit = self.limits.max_response
                        return Outcome(error=f"the response is larger than {limit} bytes"), False
        except httpx.TimeoutException:
            return Outcome(
                error=f"{self.url} did not answer within {self.limits.seconds:g} s"
            ), True
        except httpx.HTTPError as error:
            return Outcome(error=f"{self.url} could not be reached: {error}"), True
        if response.status_code == 429 or response.status_code >= 500:
            return Outcome(error=f"{self.url} answered HTTP {response.status_code}"), True
        if response.status_code != 200:
            return Outcome(error=f"{self.url} answered HTTP {response.status_code}"), False
        try:
            return Outcome(value=json.loads(data)), False
        except (json.JSONDecodeError, UnicodeDecodeError):
            return Outcome(error=f"{self.url} answered something that is not JSON"), False
