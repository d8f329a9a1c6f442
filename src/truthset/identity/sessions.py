"""Sessions and API tokens: random bearer strings, stored as hashes so they can be revoked.

Kinds: `api` (from /api/v1/login), `session` (a browser signed in with a password) and `oidc`
(a browser signed in through the identity provider: its logout also ends the provider's session).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import Connection, delete, insert, select

from truthset.db.tables import AuthToken, User
from truthset.deployment import Deployment
from truthset.errors import Unauthenticated
from truthset.identity.accounts import UserInfo, token_hash, user_info


def issue_token(dep: Deployment, user_id: int, kind: str) -> str:
    token = secrets.token_urlsafe(32)
    now = dep.clock.now()
    with dep.db.write() as conn:
        conn.execute(
            insert(AuthToken).values(
                token_hash=token_hash(token),
                user_id=user_id,
                kind=kind,
                created_at=now,
                expires_at=now + timedelta(seconds=dep.settings.session_ttl),
            )
        )
    return token


def cached_token(dep: Deployment, token: str) -> tuple[UserInfo, str] | None:
    """The user and kind of a token resolved in the last few seconds, without a query."""
    return dep.token_cache.get(token_hash(token), dep.clock.now())  # type: ignore[return-value]


def resolve_token(dep: Deployment, token: str) -> tuple[UserInfo, str]:
    """The user and token kind behind a bearer token or session; raises Unauthenticated."""
    cached = cached_token(dep, token)
    if cached is not None:
        return cached
    digest = token_hash(token)
    now = dep.clock.now()
    with dep.db.read() as conn:
        row = conn.execute(
            select(User.__table__, AuthToken.kind, AuthToken.expires_at)
            .join(AuthToken, AuthToken.user_id == User.id)
            .where(AuthToken.token_hash == digest)
        ).first()
    if row is None or row.expires_at <= now:
        raise Unauthenticated("sign in again: the token is unknown or expired")
    if row.status != "active":
        raise Unauthenticated("this account is disabled")
    result = (user_info(row), row.kind)
    dep.token_cache.put(digest, result, now)
    return result


def revoke_token(dep: Deployment, token: str) -> None:
    with dep.db.write() as conn:
        conn.execute(delete(AuthToken).where(AuthToken.token_hash == token_hash(token)))
    dep.token_cache.clear()


def end_sessions(conn: Connection, dep: Deployment, user_id: int, keep: str | None = None) -> None:
    """Ends every session and API token of the user but `keep` (the one making the change).
    Other server processes stop accepting them within the token cache's few seconds."""
    condition = AuthToken.user_id == user_id
    if keep is not None:
        condition = condition & (AuthToken.token_hash != token_hash(keep))
    conn.execute(delete(AuthToken).where(condition))
    dep.token_cache.clear()
