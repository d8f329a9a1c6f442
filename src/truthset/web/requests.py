"""Per-request context, outermost: a request id (X-Request-Id, kept from a proxy when it is
safe, echoed back), the caller's address and, once authenticated, the actor, for the audit
trail (audit/origin.py); then the request's metrics and one JSON log line.

The log line names the route template, never the path or query: media, invitation and reset
URLs carry their signature or token there, and OIDC callbacks carry codes in the query."""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from functools import lru_cache

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from truthset.audit import Origin, request_origin
from truthset.deployment import Deployment
from truthset.operations.metrics import request_done, request_started
from truthset.web.network import caller_address

log = logging.getLogger("truthset.requests")
# A request id a proxy passes on is kept only if it cannot smuggle anything into a log line.
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_ID_PREFIX = secrets.token_hex(8)
_ID_COUNTER = itertools.count(1)


def request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            given: str = value.decode("latin-1")
            if _GOOD_ID.fullmatch(given):
                return given
    # A random prefix per process and a counter: unique across processes like a uuid4, without
    # reading the system's random source on every request.
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


@lru_cache(maxsize=4)
def use_request_log(target: str) -> None:
    """Sends the request log where the setting says (once per process and target)."""
    if not target:
        return
    handler: logging.Handler = (
        logging.StreamHandler(sys.stderr) if target == "stderr" else logging.FileHandler(target)
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def route_of(scope: Scope) -> str:
    """The matched route's template with its routers' prefixes (`/api/v1/jobs/{name}`): the
    innermost route names only its own part, so the prefix is what the path has before it."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    if isinstance(route, Mount):
        return str(route.path)
    template = str(getattr(route, "path_format", None) or getattr(route, "path", ""))
    try:
        rendered = template.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return template
    path = str(scope.get("path", ""))
    return path[: len(path) - len(rendered)] + template if path.endswith(rendered) else template


class RequestContext:
    def __init__(self, app: ASGIApp, deployment: Deployment) -> None:
        self.app = app
        self.dep = deployment
        use_request_log(deployment.settings.request_log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id(scope)
        origin = Origin(actor="anonymous", address=caller_address(self.dep, scope), request_id=rid)
        status = [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        request_started()
        try:
            with request_origin(origin):
                await self.app(scope, receive, send_with_id)
        finally:
            self._finish(scope, origin, status[0], time.perf_counter() - started)

    def _finish(self, scope: Scope, origin: Origin, status: int, seconds: float) -> None:
        method, route = scope.get("method", ""), route_of(scope)
        request_done(method, route, status, seconds)
        if not log.isEnabledFor(logging.INFO):
            return
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": origin.request_id,
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "client": origin.address,
            "actor": origin.actor,
        }
        log.info(json.dumps(line, separators=(",", ":")))
