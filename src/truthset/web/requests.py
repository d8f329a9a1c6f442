"""Per-request context: a request id (X-Request-Id, echoed back), the caller's address and,
once authenticated, the actor, for the audit trail (audit/origin.py)."""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from truthset.audit import Origin, request_origin
from truthset.deployment import Deployment
from truthset.web.network import caller_address

# A request id a proxy passes on is kept only if it cannot smuggle anything into a log line.
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            given: str = value.decode("latin-1")
            if _GOOD_ID.fullmatch(given):
                return given
    return uuid.uuid4().hex


class RequestContext:
    """A plain ASGI middleware, outermost: every request gets its id and its audit origin."""

    def __init__(self, app: ASGIApp, deployment: Deployment) -> None:
        self.app = app
        self.dep = deployment

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        origin = Origin(actor="anonymous", address=caller_address(self.dep, scope), request_id=rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        with request_origin(origin):
            await self.app(scope, receive, send_with_id)
