"""Signing in and out for scripts (bearer tokens)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from truthset import workforce
from truthset.identity.limits import Throttled
from truthset.web.errors import error_body
from truthset.web.schemas import LoginIn, NotificationsIn, TokenOut, UserOut
from truthset.web.security import CurrentUser, DeploymentDep, client_key

router = APIRouter(tags=["session"])


@router.post(
    "/login",
    response_model=TokenOut,
    responses={
        401: {"description": "Wrong e-mail address or password (also for a disabled account)"},
        429: {"description": "Too many failures from this address; see Retry-After"},
    },
)
def login(body: LoginIn, request: Request, dep: DeploymentDep) -> TokenOut | Response:
    """Exchanges e-mail and password for a bearer token. After repeated failures for an account
    from one address (or from one address over all accounts) each further attempt from there
    must wait, 1 s doubling: 429 with Retry-After. Attempts from elsewhere are not slowed."""
    try:
        user = workforce.authenticate(dep, body.email, body.password, client_key(request))
    except Throttled as error:
        return JSONResponse(
            error_body("too_many_requests", error.message),
            status_code=429,
            headers={"Retry-After": str(error.retry_after)},
        )
    return TokenOut(token=workforce.issue_token(dep, user.id, "api"))


@router.post("/logout", status_code=204)
def logout(request: Request, user: CurrentUser, dep: DeploymentDep) -> None:
    """Revokes the bearer token (or session) the request was made with."""
    header = request.headers.get("authorization", "")
    token = (
        header[7:].strip()
        if header.lower().startswith("bearer ")
        else request.cookies.get("truthset_session", "")
    )
    workforce.revoke_token(dep, token)


@router.get("/me/notifications", response_model=NotificationsIn)
def my_notifications(user: CurrentUser, dep: DeploymentDep) -> NotificationsIn:
    return NotificationsIn(email_on_new_work=workforce.email_notifications(dep, user.id))


@router.put("/me/notifications", response_model=NotificationsIn)
def set_my_notifications(
    body: NotificationsIn, user: CurrentUser, dep: DeploymentDep
) -> NotificationsIn:
    """Opt out of (or back into) e-mail when a job of my teams starts."""
    workforce.set_email_notifications(dep, user.id, body.email_on_new_work)
    return body


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    return UserOut(
        email=user.email, is_admin=user.is_admin, status=user.status, worker_id=user.worker_id
    )
