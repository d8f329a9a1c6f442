"""Who is calling: bearer tokens for scripts, session cookies (with CSRF checks) for browsers."""

from __future__ import annotations

import hmac
import secrets
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from truthset.audit import set_actor
from truthset.deployment import Deployment
from truthset.errors import Forbidden, Unauthenticated
from truthset.identity.accounts import UserInfo
from truthset.identity.network import Network, client_address, parse_networks
from truthset.identity.sessions import cached_token, resolve_token

SESSION_COOKIE = "truthset_session"
CSRF_COOKIE = "truthset_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


async def deployment(request: Request) -> Deployment:
    # async, though it awaits nothing: FastAPI runs a plain-def dependency in its thread pool,
    # a thread hop (and a GIL hand-over) on every request of every route.
    return request.app.state.deployment  # type: ignore[no-any-return]


DeploymentDep = Annotated[Deployment, Depends(deployment)]


@lru_cache(maxsize=16)
def networks(values: tuple[str, ...], field: str) -> list[Network]:
    return parse_networks(values, field)


def client_key(request: Request) -> str:
    """The caller's address: the socket's peer, or the client a trusted proxy names."""
    dep: Deployment = request.app.state.deployment
    peer = request.client.host if request.client else "unknown"
    proxies = networks(tuple(dep.settings.trusted_proxies), "TRUTHSET_TRUSTED_PROXIES")
    return client_address(peer, request.headers.get("x-forwarded-for"), proxies)


def csrf_token(request: Request) -> str:
    """The CSRF token for this browser (double-submit: cookie value echoed in forms/headers)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if token is None:
        token = secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return str(token)


def set_csrf_cookie(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new is not None and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(
            CSRF_COOKIE, new, httponly=False, samesite="strict", secure=_secure(request), path="/"
        )


def _secure(request: Request) -> bool:
    dep: Deployment = request.app.state.deployment
    return dep.settings.base_url.startswith("https://")


async def check_csrf(request: Request) -> None:
    """Rejects a cookie-authenticated unsafe request without the matching CSRF token."""
    if request.method not in UNSAFE:
        return
    expected = request.cookies.get(CSRF_COOKIE)
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise Forbidden("the form expired or came from another site; reload the page and try again")


def set_session(request: Request, response: Response, token: str) -> None:
    dep: Deployment = request.app.state.deployment
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=dep.settings.session_ttl,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


async def _resolve(dep: Deployment, token: str) -> UserInfo:
    """A token's user: from the cache on the event loop; a miss queries the database, which on
    PostgreSQL is a round trip that would stall every other request on the loop, so it goes
    to the thread pool there (SQLite's read is shorter than the hop)."""
    cached = cached_token(dep, token)
    if cached is None:
        if dep.db.is_sqlite:
            cached = resolve_token(dep, token)
        else:
            cached = await run_in_threadpool(resolve_token, dep, token)
    return cached[0]


async def current_user(request: Request) -> UserInfo:
    dep: Deployment = request.app.state.deployment
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = await _resolve(dep, header[7:].strip())
        set_actor(user.email, user.id)
        return user
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        raise Unauthenticated("sign in first")
    user = await _resolve(dep, session)
    set_actor(user.email, user.id)
    await check_csrf(request)
    return user


def signed_in_user(request: Request) -> UserInfo | None:
    """The user of the request's session, if any: for pages anyone may see (errors), which show
    the navigation to someone signed in."""
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        return None
    try:
        user, _kind = resolve_token(request.app.state.deployment, session)
    except Unauthenticated:
        return None
    return user


async def admin_user(user: Annotated[UserInfo, Depends(current_user)]) -> UserInfo:
    if not user.is_admin:
        raise Forbidden("this needs an admin")
    return user


CurrentUser = Annotated[UserInfo, Depends(current_user)]
AdminUser = Annotated[UserInfo, Depends(admin_user)]
