"""Sign-in through the workforce's OpenID Connect provider: authorization code flow with PKCE,
state and nonce (Authlib builds the requests; identity/provider.py checks the ID token).

A sign-in under way is a row (its state stored as a hash) that works once, for ten minutes,
and only in the browser that started it (its state is also in a cookie there). Every sign-in
follows the provider's groups: the user joins the teams that follow one of their groups and
leaves those that follow none of them; with admin groups set, admin is granted or taken too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from sqlalchemy import Connection, insert, select, update

from truthset.db.tables import OidcLogin, Team, TeamGroup, User
from truthset.deployment import Deployment
from truthset.errors import Unauthenticated
from truthset.identity import config, provider
from truthset.identity.accounts import (
    UserInfo,
    find_user,
    insert_user,
    token_hash,
    user_by_id,
    user_info,
)
from truthset.workforce.teams import follow_groups, team_ids_of

CALLBACK = "/oauth2/idpresponse"  # Ground Truth's redirect path: portal URL + /oauth2/idpresponse
LOGIN_TTL = timedelta(minutes=10)
STATE_COOKIE = "truthset_oidc_state"
GROUP_CLAIMS = ("sagemaker:groups", "sagemaker-groups")


@dataclass(frozen=True)
class Started:
    url: str  # where to send the browser
    state: str  # for the browser's cookie


def enabled(dep: Deployment) -> bool:
    return config.current(dep).oidc is not None


def _config(dep: Deployment) -> config.OidcConfig:
    found = config.current(dep).oidc
    if found is None:
        raise Unauthenticated("sign-in with an identity provider is not set up here")
    return found


def _client(dep: Deployment, oidc: config.OidcConfig) -> OAuth2Client:
    scope = oidc.scope if "openid" in oidc.scope.split() else f"openid {oidc.scope}".strip()
    return OAuth2Client(
        client_id=oidc.client_id,
        client_secret=oidc.client_secret,
        scope=scope,
        redirect_uri=dep.settings.base_url + CALLBACK,
        code_challenge_method="S256",
        timeout=10,
        verify=provider.tls_context(dep),
    )


def start(dep: Deployment, next_path: str) -> Started:
    oidc = _config(dep)
    where = provider.endpoints(dep, oidc)
    state, nonce, verifier = (
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(32),
        generate_token(64),
    )
    with dep.db.write() as conn:
        conn.execute(
            insert(OidcLogin).values(
                state_hash=token_hash(state),
                nonce=nonce,
                code_verifier=verifier,
                next_path=next_path[:1024],
                created_at=dep.clock.now(),
            )
        )
    with _client(dep, oidc) as client:
        url, _ = client.create_authorization_url(
            where.authorization,
            state=state,
            nonce=nonce,
            code_verifier=verifier,
            **oidc.extra_params,
        )
    return Started(str(url), state)


def _take_login(dep: Deployment, state: str, cookie_state: str | None) -> Any:
    """The sign-in the state names, used up now; refused when replayed, stale or foreign."""
    if not cookie_state or not secrets.compare_digest(cookie_state, state):
        raise Unauthenticated(
            "this sign-in was started in another browser (or cookies are off); start again"
        )
    now = dep.clock.now()
    with dep.db.write() as conn:
        row = conn.execute(
            select(OidcLogin.__table__).where(OidcLogin.state_hash == token_hash(state))
        ).first()
        taken = conn.execute(
            update(OidcLogin)
            .where(OidcLogin.state_hash == token_hash(state), OidcLogin.used_at.is_(None))
            .values(used_at=now)
        )
    if row is None or taken.rowcount != 1 or row.created_at + LOGIN_TTL <= now:
        raise Unauthenticated("this sign-in link was already used or has expired; start again")
    return row


def finish(
    dep: Deployment, state: str, code: str, cookie_state: str | None
) -> tuple[UserInfo, str]:
    """Completes a sign-in from the provider's redirect: the user and where they were going."""
    login = _take_login(dep, state, cookie_state)
    oidc = _config(dep)
    where = provider.endpoints(dep, oidc)
    try:
        with _client(dep, oidc) as client:
            token = client.fetch_token(
                where.token, code=code, code_verifier=login.code_verifier, state=state
            )
            claims = _claims(dep, oidc, where, client, token, login.nonce)
    except OAuthError as error:
        raise Unauthenticated(f"the identity provider refused the sign-in: {error}") from None
    return provision(dep, oidc, claims), login.next_path


def _claims(
    dep: Deployment,
    oidc: config.OidcConfig,
    where: provider.Endpoints,
    client: OAuth2Client,
    token: dict[str, Any],
    nonce: str,
) -> dict[str, Any]:
    if "id_token" not in token:
        raise Unauthenticated("the identity provider sent no ID token (is 'openid' a scope?)")
    claims = provider.check_id_token(dep, oidc, where.jwks, token["id_token"], nonce)
    if where.userinfo:
        response = client.get(where.userinfo)
        extra = response.json() if response.status_code == 200 else {}
        # UserInfo claims count only for the same subject (OIDC Core 5.3.2).
        if isinstance(extra, dict) and extra.get("sub") == claims["sub"]:
            claims = {**extra, **claims}
    return claims


def groups_of(dep: Deployment, claims: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for name in (dep.settings.oidc_groups_claim, *GROUP_CLAIMS):
        value = claims.get(name)
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, list):
            found.update(item for item in value if isinstance(item, str))
    return found


def _mapped_teams(conn: Connection, groups: set[str]) -> set[int]:
    if not groups:
        return set()
    return set(
        conn.scalars(
            select(TeamGroup.team_id)
            .join(Team, Team.id == TeamGroup.team_id)
            .where(TeamGroup.group_name.in_(groups), Team.deleted_at.is_(None))
        )
    )


def provision(dep: Deployment, oidc: config.OidcConfig, claims: dict[str, Any]) -> UserInfo:
    """The truthset user for the provider's account, created or linked on first sign-in, with
    memberships and admin following the groups. Refuses accounts with nothing to do here."""
    subject = f"{oidc.issuer} {claims['sub']}"
    email = str(claims.get("email") or "").strip().lower()
    groups = groups_of(dep, claims)
    admin_groups = set(dep.settings.oidc_admin_groups)
    is_admin = bool(groups & admin_groups)
    with dep.db.write() as conn:
        user = _find(conn, subject, email, claims)
        if user is not None and user.status == "disabled":
            raise Unauthenticated("your account here is disabled; ask an admin")
        if user is None:
            if not _mapped_teams(conn, groups) and not is_admin:
                raise Unauthenticated(_no_team_message(groups))
            user_id = insert_user(conn, dep, email, status="active", oidc_subject=subject)
        else:
            user_id = user.id
        values: dict[str, object] = {"oidc_subject": subject, "status": "active"}
        if admin_groups and email != dep.settings.break_glass_admin.strip().lower():
            values["is_admin"] = is_admin
        conn.execute(update(User).where(User.id == user_id).values(**values))
        follow_groups(conn, dep, user_id, groups)
        row = user_by_id(conn, user_id)
        idle = not row.is_admin and not team_ids_of(conn, user_id)
    dep.token_cache.clear()
    if idle:
        # Refused after the commit: the teams their groups left are left for good.
        raise Unauthenticated(_no_team_message(groups))
    return user_info(row)


def _no_team_message(groups: set[str]) -> str:
    named = ", ".join(sorted(groups)) or "none"
    return (
        f"none of your groups at the identity provider ({named}) has a work team here; "
        "ask an admin to give one of them a team"
    )


def _find(conn: Connection, subject: str, email: str, claims: dict[str, Any]) -> Any:
    found = conn.execute(select(User.__table__).where(User.oidc_subject == subject)).first()
    if found is not None:
        return found
    if not email:
        raise Unauthenticated(
            "the identity provider sent no e-mail address; add the 'email' scope or claim"
        )
    existing = find_user(conn, email)
    if existing is not None and claims.get("email_verified") is False:
        raise Unauthenticated(
            f"the identity provider has not verified {email}, which an account here already has"
        )
    if existing is not None and existing.oidc_subject not in (None, subject):
        raise Unauthenticated(f"{email} here belongs to another identity provider account")
    return existing


def logout_url(dep: Deployment) -> str | None:
    """The provider's end-session URL to send the browser to after our session ended."""
    oidc = config.current(dep).oidc
    if oidc is None:
        return None
    where = provider.endpoints(dep, oidc)
    if not where.logout:
        return None
    query = urlencode(
        {"client_id": oidc.client_id, "post_logout_redirect_uri": dep.settings.base_url + "/login"}
    )
    separator = "&" if "?" in where.logout else "?"
    return f"{where.logout}{separator}{query}"
