"""Domain errors to HTTP, chosen here once: JSON for the API, a page for browsers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from truthset.errors import (
    Conflict,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    NotReady,
    StorageError,
    TooManyRequests,
    TruthsetError,
    Unauthenticated,
)

STATUS: dict[type[TruthsetError], tuple[int, str]] = {
    Invalid: (400, "invalid"),
    StorageError: (400, "storage"),
    Unauthenticated: (401, "unauthenticated"),
    Forbidden: (403, "forbidden"),
    NotFound: (404, "not_found"),
    Conflict: (409, "conflict"),
    NotReady: (409, "not_ready"),
    Gone: (410, "gone"),
    TooManyRequests: (429, "too_many_requests"),
}


def status_of(error: TruthsetError) -> tuple[int, str]:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500, "error"


def error_body(kind: str, message: str, problems: list[str] | None = None) -> dict[str, object]:
    body: dict[str, object] = {"type": kind, "message": message}
    if problems:
        body["problems"] = problems
    return {"error": body}


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (each method is a route of its own, so the
    framework's 405 names only the first one it found)."""
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and isinstance(route, APIRoute):
            methods |= route.methods or set()
    return sorted(methods)


def wants_page(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/media/")) and request.url.path != "/"


def install(app: FastAPI, templates: Jinja2Templates) -> None:
    @app.exception_handler(TruthsetError)
    async def _domain(request: Request, error: TruthsetError) -> Response:
        status, kind = status_of(error)
        if status == 401 and wants_page(request):
            return Response(
                status_code=303, headers={"Location": f"/login?next={request.url.path}"}
            )
        if wants_page(request):
            return templates.TemplateResponse(
                request,
                "error.html",
                {"status": status, "message": error.message},
                status_code=status,
            )
        problems = error.problems if isinstance(error, Invalid) else None
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, NotReady) else None
        return JSONResponse(
            error_body(kind, error.message, problems), status_code=status, headers=headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        """The framework's own errors (no such route, method not allowed, a body that cannot
        be parsed) in this API's error shape; elsewhere as the framework answers them."""
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        if wants_page(request):  # as the framework answers them
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=headers
            )
        kind = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "invalid")
        return JSONResponse(
            error_body(kind, str(error.detail)), status_code=error.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in item['loc'] if p != 'body')}: {item['msg']}"
            for item in error.errors()
        ]
        message = problems[0] if problems else "invalid request"
        return JSONResponse(error_body("invalid", message, problems), status_code=400)
