"""Request body size limits, enforced before a body is read (a plain ASGI middleware).

A body longer than its limit is refused with 413 without reading it when Content-Length says
so, and as soon as the limit is passed when it is sent without one (chunked): a 100 MB body
then costs the server at most the limit. Limits, smallest first:

- anonymous requests (sign-in, invitations, password resets, or no credentials at all):
  TRUTHSET_MAX_ANONYMOUS_BODY, so nobody unknown can make the server hold much;
- a worker's answer (`POST /api/v1/worker/tasks/{id}/answer`): TRUTHSET_MAX_ANSWER_BODY, which
  fits the largest mask an answer may carry;
- everything else (REST API, SageMaker API, console forms): TRUTHSET_MAX_BODY, 1 MiB by default
  like the SageMaker API's own limit. SageMaker API requests (signed, so their credentials are
  only known once the body is read) always have this limit, and get its error shape.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from truthset.settings import Settings
from truthset.web.security import SESSION_COOKIE

ANONYMOUS_PATHS = ("/api/v1/login", "/login", "/invite/", "/password/", "/oidc/")
SAGEMAKER_PATHS = ("/", "/sagemaker", "/sagemaker/")
_ANSWER = re.compile(r"/api/v1/worker/tasks/\d+/answer")
# StartHumanLoop takes an InputContent of up to 3,145,728 characters (A2I's limit, which the
# runtime then checks with A2I's own error); JSON escaping can make that twice as many bytes.
HUMAN_LOOP_PATHS = ("/human-loops", "/sagemaker/human-loops", "/api/v1/flows/")
HUMAN_LOOP_BODY = 8 * 1024 * 1024


class _TooLarge(Exception):
    pass


def body_limit(settings: Settings, scope: Scope) -> int:
    """The most bytes the request's body may have."""
    path: str = scope["path"]
    if path in SAGEMAKER_PATHS:
        return settings.max_body  # signed with SigV4, checked after the body is read
    if path.startswith(HUMAN_LOOP_PATHS):
        return max(settings.max_body, HUMAN_LOOP_BODY)
    headers = dict(scope.get("headers", []))
    credentials = b"authorization" in headers or SESSION_COOKIE.encode() in headers.get(
        b"cookie", b""
    )
    if not credentials or path.startswith(ANONYMOUS_PATHS):
        return settings.max_anonymous_body
    if _ANSWER.fullmatch(path):
        return settings.max_answer_body
    return settings.max_body


class BodyLimits:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = body_limit(self.settings, scope)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, limit, scope)
            return
        received = 0
        state = {"started": False, "refused": False}

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def watched_send(message: Message) -> None:
            # The framework may turn the interrupted read into a response of its own (400 "error
            # parsing the body"); the caller gets the 413 instead.
            if received > limit:
                if message["type"] == "http.response.start" and not state["refused"]:
                    state["refused"] = True
                    await _refuse(send, limit, scope)
                return
            state["started"] = state["started"] or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _TooLarge:
            if not state["started"] and not state["refused"]:
                await _refuse(send, limit, scope)


async def _refuse(send: Send, limit: int, scope: Scope) -> None:
    message = f"the request body is larger than {limit} bytes, the most this request may send"
    content_type = b"application/json"
    error: dict[str, object] = {"error": {"type": "too_large", "message": message}}
    if scope["path"] in SAGEMAKER_PATHS:
        # As the SageMaker API answers a request it cannot take (web/sagemaker/errors.py).
        content_type = b"application/x-amz-json-1.1"
        error = {"__type": "SerializationException", "message": message}
    body = json.dumps(error).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
