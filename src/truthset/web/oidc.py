"""Sign-in through the identity provider: /oidc/login sends the browser there, and the
provider sends it back to /oauth2/idpresponse (Ground Truth's redirect path)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from truthset import audit
from truthset.errors import Unauthenticated
from truthset.identity import oidc
from truthset.identity.sessions import issue_token
from truthset.web.pages import home_for, login_context, render, safe_next
from truthset.web.security import DeploymentDep, set_session

router = APIRouter(include_in_schema=False)


@router.get("/oidc/login")
def start(request: Request, dep: DeploymentDep, next: str = "") -> Response:
    try:
        started = oidc.start(dep, safe_next(next, ""))
    except Unauthenticated as error:
        context = login_context(dep, error=error.message, next=next)
        return render(request, "login.html", context, status=502)
    response = RedirectResponse(started.url, status_code=303)
    # Lax, not strict: the provider's redirect back is a cross-site top-level navigation.
    response.set_cookie(
        oidc.STATE_COOKIE,
        started.state,
        max_age=int(oidc.LOGIN_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=dep.settings.base_url.startswith("https://"),
        path=oidc.CALLBACK,
    )
    return response


@router.get(oidc.CALLBACK)
def callback(
    request: Request,
    dep: DeploymentDep,
    state: str = "",
    code: str = "",
    error: str = "",
    error_description: str = "",
) -> Response:
    try:
        if error:
            raise Unauthenticated(
                f"the identity provider did not sign you in: {error_description or error}"
            )
        if not state or not code:
            raise Unauthenticated("the identity provider's answer lacks its code or state")
        user, next_path = oidc.finish(dep, state, code, request.cookies.get(oidc.STATE_COOKIE))
    except Unauthenticated as refused:
        audit.record_now(
            dep, "signin.failed", detail={"method": "oidc", "reason": refused.message[:300]}
        )
        page = render(request, "login.html", login_context(dep, error=refused.message), 401)
        page.delete_cookie(oidc.STATE_COOKIE, path=oidc.CALLBACK)
        return page
    audit.record_now(dep, "signin", actor=user.email, actor_id=user.id, detail={"method": "oidc"})
    response = RedirectResponse(safe_next(next_path, home_for(user)), status_code=303)
    response.delete_cookie(oidc.STATE_COOKIE, path=oidc.CALLBACK)
    set_session(request, response, issue_token(dep, user.id, "oidc"))
    return response
