"""Access keys for the SageMaker-compatible API: an AWS-style key id and secret per admin.

Only the key id is stored. The secret is an HMAC of the id under the deployment's secret key,
so the database alone reveals no secret, and the server can recompute it to verify a SigV4
signature. (Changing TRUTHSET_SECRET_KEY therefore changes every secret: issue new keys then.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update

from truthset import audit
from truthset.db.tables import AccessKey, User
from truthset.deployment import Deployment
from truthset.errors import Forbidden, NotFound, Unauthenticated
from truthset.identity.accounts import UserInfo, normalize_email

KEY_PREFIX = "AKTS"  # shaped like AWS's AKIA... ids: 20 upper-case letters and digits
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True)
class AccessKeyPair:
    access_key_id: str
    secret_access_key: str
    email: str


def secret_for(dep: Deployment, access_key_id: str) -> str:
    """The secret of a key id: 40 characters, like an AWS secret access key."""
    digest = hmac.new(
        dep.secret_key.encode(), f"truthset-access-key:{access_key_id}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()[:40]


def create_access_key(dep: Deployment, email: str) -> AccessKeyPair:
    """A new key for an admin. The secret is shown once; it cannot be looked up later by
    anyone without the deployment's secret key."""
    email = normalize_email(email)
    with dep.db.write() as conn:
        user = conn.execute(select(User.id, User.is_admin).where(User.email == email)).first()
        if user is None:
            raise NotFound(f"no user {email}")
        if not user.is_admin:
            raise Forbidden(f"{email} is not an admin; only admins may hold access keys")
        key_id = KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(16))
        conn.execute(
            insert(AccessKey).values(
                access_key_id=key_id, user_id=user.id, created_at=dep.clock.now()
            )
        )
        audit.record(conn, dep, "accesskey.created", detail={"key": key_id, "holder": email})
    return AccessKeyPair(key_id, secret_for(dep, key_id), email)


# Built once: every signed request runs it, and building the join costs more than running it.
_KEY_HOLDER = (
    select(User.__table__, AccessKey.revoked_at)
    .join(AccessKey, AccessKey.user_id == User.id)
    .where(AccessKey.access_key_id == bindparam("p_key"))
)


def resolve_access_key(dep: Deployment, access_key_id: str) -> tuple[UserInfo, str]:
    """The active user holding a key, and its secret; Unauthenticated when the key is unknown,
    revoked, or its holder disabled."""
    with dep.db.read() as conn:
        row = conn.execute(_KEY_HOLDER, {"p_key": access_key_id}).first()
    if row is None or row.revoked_at is not None or row.status != "active":
        raise Unauthenticated(f"access key {access_key_id} is unknown or revoked")
    user = UserInfo(row.id, row.email, row.is_admin, row.status, row.worker_id)
    return user, secret_for(dep, access_key_id)


def revoke_access_key(dep: Deployment, access_key_id: str) -> None:
    with dep.db.write() as conn:
        done = conn.execute(
            update(AccessKey)
            .where(AccessKey.access_key_id == access_key_id, AccessKey.revoked_at.is_(None))
            .values(revoked_at=dep.clock.now())
        )
        if done.rowcount == 1:
            audit.record(conn, dep, "accesskey.revoked", detail={"key": access_key_id})
    if done.rowcount != 1:
        raise NotFound(f"no active access key {access_key_id}")
