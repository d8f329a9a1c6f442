"""Network limits: the worker portal, the worker API and media answer only the workforce's
networks (SageMaker's SourceIpConfig.Cidrs, or TRUTHSET_WORKFORCE_CIDRS), the console and the
admin APIs only TRUTHSET_ADMIN_CIDRS; an empty list lets everyone in. The address checked is
the socket's, or the client a trusted proxy names (identity/network.py).

Outside the networks a worker gets 404 Not Found, as Ground Truth's portal answers; an admin
gets 403. Sign-in pages stay reachable, so the refusal can say why.
"""

from __future__ import annotations

import html
import json

from starlette.types import ASGIApp, Receive, Scope, Send

from truthset.deployment import Deployment
from truthset.identity import config
from truthset.identity.network import Network, client_address, inside
from truthset.web.security import networks

WORKER_PATHS = ("/portal", "/api/v1/worker/", "/api/v1/me/", "/media/")
A2I_PATHS = ("/human-loops", "/sagemaker/human-loops")  # the sagemaker-a2i-runtime service
OPEN_API_PATHS = ("/api/v1/login", "/api/v1/logout", "/api/v1/me", "/api/v1/openapi.json")


def zone(method: str, path: str) -> str | None:
    """Which list governs the path: worker, admin, or None (sign-in pages, static files)."""
    if path.startswith(WORKER_PATHS):
        return "worker"
    if (
        path == "/metrics"
        or path.startswith("/console")
        or (path.startswith("/api/v1/") and path not in OPEN_API_PATHS)
    ):
        return "admin"
    if method == "POST" and path in ("/", "/sagemaker", "/sagemaker/"):
        return "admin"  # the SageMaker-compatible API
    if path.startswith(A2I_PATHS):
        return "admin"
    return None


class NetworkLimits:
    """A plain ASGI middleware (no per-request task): checks the caller's network first."""

    def __init__(self, app: ASGIApp, deployment: Deployment) -> None:
        self.app = app
        self.dep = deployment

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = zone(scope.get("method", ""), scope["path"]) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        allowed = self._networks(kind)
        address = self._address(scope)
        if not allowed or inside(address, allowed):
            await self.app(scope, receive, send)
            return
        await _refuse(scope, send, kind, address)

    def _networks(self, kind: str) -> list[Network]:
        if kind == "worker":
            cidrs = config.current(self.dep).cidrs
            return networks(tuple(cidrs), "SourceIpConfig.Cidrs")
        return networks(tuple(self.dep.settings.admin_cidrs), "TRUTHSET_ADMIN_CIDRS")

    def _address(self, scope: Scope) -> str:
        return caller_address(self.dep, scope)


def caller_address(dep: Deployment, scope: Scope) -> str:
    """The caller's address: the socket's peer, or the client a trusted proxy names."""
    peer = scope["client"][0] if scope.get("client") else ""
    forwarded = None
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            # Several headers count as one list, in order (RFC 9110 5.3).
            text = value.decode("latin-1")
            forwarded = f"{forwarded}, {text}" if forwarded else text
    proxies = networks(tuple(dep.settings.trusted_proxies), "TRUTHSET_TRUSTED_PROXIES")
    return client_address(peer, forwarded, proxies)


async def _refuse(scope: Scope, send: Send, kind: str, address: str) -> None:
    status = 404 if kind == "worker" else 403
    message = (
        f"not available from your network ({address}); ask an admin which networks this "
        "workforce may work from"
        if kind == "worker"
        else f"the admin pages and APIs are not available from your network ({address})"
    )
    path = scope["path"]
    if scope.get("method") == "POST" and path in ("/", "/sagemaker", "/sagemaker/"):
        # As botocore parses SageMaker errors (web/sagemaker/errors.py).
        status = 400
        body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
        content_type = b"application/x-amz-json-1.1"
    elif path.startswith(A2I_PATHS):
        # As botocore parses REST-JSON errors: the type in __type, status 403.
        body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
        content_type = b"application/json"
    elif path.startswith(("/api/", "/media/")):
        kind_name = "not_found" if status == 404 else "forbidden"
        body = json.dumps({"error": {"type": kind_name, "message": message}}).encode()
        content_type = b"application/json"
    else:
        title = "Not found" if status == 404 else "Not allowed"
        body = (
            f"<!doctype html><html lang=en><meta charset=utf-8><title>{title} · truthset</title>"
            f"<link rel=stylesheet href=/static/app.css><main class=container><section "
            f"class='card narrow'><h1>{title}</h1><p>{html.escape(message)}</p></section></main></html>"
        ).encode()
        content_type = b"text/html; charset=utf-8"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
