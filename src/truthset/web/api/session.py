"""Signing in and out for scripts (bearer tokens)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from truthset import workforce
from truthset.web.schemas import LoginIn, TokenOut, UserOut
from truthset.web.security import CurrentUser, DeploymentDep, client_key

router = APIRouter(tags=["session"])


@router.post("/login", response_model=TokenOut)
def login(body: LoginIn, request: Request, dep: DeploymentDep) -> TokenOut:
    """Exchanges e-mail and password for a bearer token. Failed attempts are rate-limited."""
    user = workforce.authenticate(dep, body.email, body.password, client_key(request))
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


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    return UserOut(
        email=user.email, is_admin=user.is_admin, status=user.status, worker_id=user.worker_id
    )
