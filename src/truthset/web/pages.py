"""Server-rendered pages shared by portal and console: rendering, sign-in and out, invitations,
changing and resetting a password."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from truthset import workforce
from truthset.deployment import Deployment
from truthset.errors import Invalid, TooManyRequests, TruthsetError, Unauthenticated
from truthset.identity import oidc, resets
from truthset.identity.accounts import UserInfo
from truthset.identity.limits import Throttled
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

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
FAVICON = Path(__file__).parent / "static" / "favicon.svg"
_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


def duration(seconds: int | float) -> str:
    """A duration as people say it, in its two largest units: 2592000 is "30 days", 300 is
    "5 minutes", 5400 is "1 hour 30 minutes" (console and portal show times this way)."""
    left = max(0, round(seconds))
    parts = []
    for name, size in _UNITS:
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts[:2]) or "0 seconds"


TEMPLATES.env.filters["duration"] = duration
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
    if isinstance(context, dict) and isinstance(context.get("throttled"), Throttled):
        response.headers["Retry-After"] = str(context["throttled"].retry_after)
    return response


def home_for(user: UserInfo) -> str:
    return "/console" if user.is_admin else "/portal"


def safe_next(target: str | None, fallback: str) -> str:
    # Only local paths: a crafted ?next= must not send people to another site.
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
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


def login_context(dep: DeploymentDep, **values: Any) -> dict[str, Any]:
    return {
        "next": "",
        "email": "",
        "provider": dep.settings.oidc_provider_name if oidc.enabled(dep) else None,
        "password_sign_in": dep.settings.password_sign_in,
        **values,
    }


@router.get("/login")
def login_page(request: Request, dep: DeploymentDep, next: str | None = None) -> Response:
    return render(request, "login.html", login_context(dep, next=next or ""))


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
        context = login_context(dep, error=error.message, next=next, email=email, throttled=error)
        return render(request, "login.html", context, status=status)
    response = RedirectResponse(safe_next(next, home_for(user)), status_code=303)
    set_session(request, response, workforce.issue_token(dep, user.id, "session"))
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, dep: DeploymentDep) -> Response:
    """Ends the session; a provider sign-in also goes on to the provider's end-session page."""
    token = request.cookies.get(SESSION_COOKIE)
    provider_url = None
    if token:
        try:
            _user, kind = workforce.resolve_token(dep, token)
            if kind == "oidc":
                provider_url = oidc.logout_url(dep)
        except Unauthenticated:
            pass
        workforce.revoke_token(dep, token)
    response: Response
    if provider_url is None:
        response = RedirectResponse("/login", status_code=303)
    else:
        # A page that moves on by itself, not a redirect: the pages' CSP (form-action 'self')
        # stops a form's redirect to another site, and the provider is one.
        context = {"provider_url": provider_url, "provider": dep.settings.oidc_provider_name}
        response = render(request, "signed_out.html", context)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _not_found(request: Request, error: TruthsetError) -> Response:
    return render(request, "error.html", {"status": 404, "message": error.message}, status=404)


@router.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for it on every page; an SVG, which they all show."""
    return FileResponse(
        FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"}
    )


@router.get("/invite/{token}")
def invitation_page(token: str, request: Request, dep: DeploymentDep) -> Response:
    try:
        email = workforce.invitation_email(dep, token)
    except TruthsetError as error:
        return _not_found(request, error)
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
        return _not_found(request, error)
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


def _account(dep: Deployment, user: UserInfo, **values: object) -> dict[str, object]:
    return {"notify": workforce.email_notifications(dep, user.id), **values}


@router.get("/account/password")
def password_page(request: Request, user: CurrentUser, dep: DeploymentDep) -> Response:
    return render(request, "password.html", _account(dep, user), user=user)


@router.post("/account/notifications")
def notifications(
    request: Request,
    user: CurrentUser,
    dep: DeploymentDep,
    email_on_new_work: Annotated[str, Form()] = "",
) -> Response:
    """The worker's opt-out of e-mail about new work (a checkbox: absent means off)."""
    workforce.set_email_notifications(dep, user.id, email_on_new_work == "on")
    context = _account(dep, user, notify_saved=True)
    return render(request, "password.html", context, user=user)


@router.post("/account/password")
def change_password(
    request: Request,
    user: CurrentUser,
    dep: DeploymentDep,
    current: Annotated[str, Form()],
    password: Annotated[str, Form()],
    confirm: Annotated[str, Form()],
) -> Response:
    """Wrong current passwords are limited like sign-ins; the new password ends every other
    session and API token of the user (this session stays)."""
    try:
        if password != confirm:
            raise Invalid("the two new passwords differ")
        keep = request.cookies.get(SESSION_COOKIE)
        workforce.change_password(dep, user.id, current, password, keep=keep)
    except (Invalid, TooManyRequests) as error:
        status = 429 if isinstance(error, TooManyRequests) else 400
        context = _account(dep, user, error=error.message, throttled=error)
        return render(request, "password.html", context, status=status, user=user)
    return render(request, "password.html", _account(dep, user, saved=True), user=user)


@router.get("/password/forgot")
def forgot_page(request: Request, dep: DeploymentDep) -> Response:
    return render(request, "forgot.html", {"mail": dep.mailer is not None, "email": ""})


@router.post("/password/forgot", dependencies=[CsrfChecked])
def forgot(request: Request, dep: DeploymentDep, email: Annotated[str, Form()]) -> Response:
    """The same answer whether or not the address has an account."""
    context: dict[str, Any] = {"mail": dep.mailer is not None, "email": email}
    try:
        resets.request_reset(dep, email, client_key(request))
    except TooManyRequests as error:
        context.update(error=error.message, throttled=error)
        return render(request, "forgot.html", context, status=429)
    return render(request, "forgot.html", {**context, "sent": True})


@router.get("/password/reset/{token}")
def reset_page(token: str, request: Request, dep: DeploymentDep) -> Response:
    try:
        email = resets.reset_email(dep, token)
    except TruthsetError as error:
        return _not_found(request, error)
    return render(request, "reset.html", {"email": email, "token": token})


@router.post("/password/reset/{token}", dependencies=[CsrfChecked])
def reset(
    token: str,
    request: Request,
    dep: DeploymentDep,
    password: Annotated[str, Form()],
    confirm: Annotated[str, Form()],
) -> Response:
    try:
        email = resets.reset_email(dep, token)
    except TruthsetError as error:
        return _not_found(request, error)
    try:
        if password != confirm:
            raise Invalid("the two passwords differ")
        user = resets.complete_reset(dep, token, password)
    except Invalid as error:
        context = {"email": email, "token": token, "error": error.message}
        return render(request, "reset.html", context, status=400)
    if user.status != "active":
        # A disabled account gets its password, not a session.
        return RedirectResponse("/login", status_code=303)
    response = RedirectResponse(home_for(user), status_code=303)
    set_session(request, response, workforce.issue_token(dep, user.id, "session"))
    return response
