"""Server-rendered pages shared by portal and console: rendering, sign-in, invitations, password."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from truthset import workforce
from truthset.errors import Invalid, TooManyRequests, TruthsetError, Unauthenticated
from truthset.web.security import (
    SESSION_COOKIE,
    CurrentUser,
    DeploymentDep,
    check_csrf,
    client_key,
    csrf_token,
    set_csrf_cookie,
    set_session,
)
from truthset.workforce import UserInfo

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)
CsrfChecked = Depends(check_csrf)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
    user: UserInfo | None = None,
) -> HTMLResponse:
    values = {"user": user, "csrf_token": csrf_token(request), **(context or {})}
    response = TEMPLATES.TemplateResponse(request, name, values, status_code=status)
    set_csrf_cookie(request, response)
    return response


def home_for(user: UserInfo) -> str:
    return "/console" if user.is_admin else "/portal"


def _safe_next(target: str | None, fallback: str) -> str:
    # Only local paths: a crafted ?next= must not send people to another site.
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or urlsplit(target).netloc
    ):
        return fallback
    return target


@router.get("/")
def root(request: Request, dep: DeploymentDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            user, _kind = workforce.resolve_token(dep, token)
            return RedirectResponse(home_for(user), status_code=303)
        except Unauthenticated:
            pass
    return RedirectResponse("/login", status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": next or "", "email": ""})


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    dep: DeploymentDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "",
) -> Response:
    try:
        user = workforce.authenticate(dep, email, password, client_key(request))
    except (Unauthenticated, TooManyRequests) as error:
        status = 429 if isinstance(error, TooManyRequests) else 401
        context = {"error": error.message, "next": next, "email": email}
        return render(request, "login.html", context, status=status)
    response = RedirectResponse(_safe_next(next, home_for(user)), status_code=303)
    set_session(request, response, workforce.issue_token(dep, user.id, "session"))
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, dep: DeploymentDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        workforce.revoke_token(dep, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/invite/{token}")
def invitation_page(token: str, request: Request, dep: DeploymentDep) -> Response:
    try:
        email = workforce.invitation_email(dep, token)
    except TruthsetError as error:
        return render(request, "error.html", {"status": 404, "message": error.message}, status=404)
    return render(request, "invite.html", {"email": email, "token": token})


@router.post("/invite/{token}", dependencies=[CsrfChecked])
def accept_invitation(
    token: str,
    request: Request,
    dep: DeploymentDep,
    password: Annotated[str, Form()],
    confirm: Annotated[str, Form()],
) -> Response:
    try:
        email = workforce.invitation_email(dep, token)
    except TruthsetError as error:
        return render(request, "error.html", {"status": 404, "message": error.message}, status=404)
    try:
        if password != confirm:
            raise Invalid("the two passwords differ")
        user = workforce.accept_invitation(dep, token, password)
    except Invalid as error:
        context = {"email": email, "token": token, "error": error.message}
        return render(request, "invite.html", context, status=400)
    response = RedirectResponse(home_for(user), status_code=303)
    set_session(request, response, workforce.issue_token(dep, user.id, "session"))
    return response


@router.get("/account/password")
def password_page(request: Request, user: CurrentUser) -> Response:
    return render(request, "password.html", {}, user=user)


@router.post("/account/password")
def change_password(
    request: Request,
    user: CurrentUser,
    dep: DeploymentDep,
    current: Annotated[str, Form()],
    password: Annotated[str, Form()],
    confirm: Annotated[str, Form()],
) -> Response:
    try:
        if password != confirm:
            raise Invalid("the two new passwords differ")
        workforce.change_password(dep, user.id, current, password)
    except Invalid as error:
        return render(request, "password.html", {"error": error.message}, status=400, user=user)
    return render(request, "password.html", {"saved": True}, user=user)
