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
from truthset.web.security import csrf_token, set_csrf_cookie, signed_in_user

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


def error_page(templates: Jinja2Templates, request: Request, status: int, message: str) -> Response:
    """The error page, with the navigation for someone signed in (a way back, not a dead end)."""
    context = {
        "status": status,
        "message": message,
        "user": signed_in_user(request),
        "csrf_token": csrf_token(request),
    }
    response = templates.TemplateResponse(request, "error.html", context, status_code=status)
    set_csrf_cookie(request, response)
    return response


def install(app: FastAPI, templates: Jinja2Templates) -> None:
    @app.exception_handler(TruthsetError)
    async def _domain(request: Request, error: TruthsetError) -> Response:
        status, kind = status_of(error)
        if status == 401 and wants_page(request):
            return Response(
                status_code=303, headers={"Location": f"/login?next={request.url.path}"}
            )
        if wants_page(request):
            return error_page(templates, request, status, error.message)
        problems = error.problems if isinstance(error, Invalid) else None
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, NotReady) else None
        return JSONResponse(
            error_body(kind, error.message, problems), status_code=status, headers=headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        """The framework's own errors (no such route, method not allowed, a body that cannot
        be parsed) in this API's error shape; a path no route knows is a page for browsers."""
        if error.status_code == 404 and wants_page(request):
            return error_page(templates, request, 404, f"there is no page at {request.url.path}")
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
