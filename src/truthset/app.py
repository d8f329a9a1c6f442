"""create_app: builds the web application for one deployment. Nothing is built at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from truthset import __version__
from truthset.background.runner import Runner
from truthset.deployment import Deployment, open_deployment
from truthset.settings import Settings
from truthset.web import (
    api,
    console,
    console_audit,
    console_exports,
    console_results,
    console_templates,
    errors,
    media,
    oidc,
    operations,
    pages,
    portal,
    sagemaker,
    task_assets,
)
from truthset.web.body_limits import BodyLimits
from truthset.web.network import NetworkLimits
from truthset.web.requests import RequestContext
from truthset.web.sagemaker import a2i_runtime

STATIC = Path(__file__).parent / "web" / "static"
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def create_app(settings: Settings | None = None, deployment: Deployment | None = None) -> FastAPI:
    """The app for a deployment (opened from settings when not given). The background runner
    starts with the app unless settings.run_background is off."""
    dep = deployment or open_deployment(settings or Settings())
    runner = Runner(dep) if dep.settings.run_background else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if runner is not None:
            runner.start()
        yield
        if runner is not None:
            runner.stop()

    app = FastAPI(
        title="truthset",
        version=__version__,
        description="Labeling jobs with private work teams and Ground Truth-compatible output.",
        openapi_url="/api/v1/openapi.json",
        # The interactive docs page loads from a CDN; this deployment must work offline.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.deployment = dep
    app.state.runner = runner
    errors.install(app, pages.TEMPLATES)
    app.include_router(api.router)  # first: it holds the dispatch routes (web/api/__init__.py)
    app.include_router(operations.router)
    app.include_router(media.router)
    app.include_router(task_assets.router)
    # POST / (and /sagemaker/): the SageMaker-compatible API boto3 talks to.
    app.include_router(sagemaker.router)
    # /human-loops: the sagemaker-a2i-runtime service (Augmented AI's human loops).
    app.include_router(a2i_runtime.router)
    app.include_router(pages.router)
    app.include_router(oidc.router)
    app.include_router(portal.router)
    app.include_router(console_templates.router)
    app.include_router(console_results.router)
    app.include_router(console_audit.router)
    app.include_router(console.router)
    app.include_router(console_exports.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _document_errors_as_sent(app)
    app.add_middleware(NetworkLimits, deployment=dep)
    # Outside the network check (added later runs first): bodies are refused before anything.
    app.add_middleware(BodyLimits, settings=dep.settings)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContext, deployment=dep)
    return app


def _document_errors_as_sent(app: FastAPI) -> None:
    """FastAPI documents request validation errors as 422; this API answers 400 with its usual
    error body (web/errors.py), so the document says that instead."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                operation.get("responses", {}).pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


class SecurityHeaders:
    """Adds the security headers to every response (a plain ASGI middleware: the request path
    is hot, and Starlette's BaseHTTPMiddleware costs a task and a stream per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _headers_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in extra if name not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _headers_for(path: str) -> list[tuple[bytes, bytes]]:
    headers = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
    if path.startswith("/static/"):
        # Task frames have an opaque origin; they load the crowd elements as CORS module scripts.
        headers.append((b"access-control-allow-origin", b"*"))
    elif not path.startswith(("/media/", "/api/", "/portal/tasks/")):
        headers.append((b"content-security-policy", PAGE_POLICY.encode()))
        headers.append((b"x-frame-options", b"DENY"))
    return headers
