"""Accounts: who a person is on this deployment (the users table), looked up by e-mail."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from truthset.db.tables import User
from truthset.deployment import Deployment
from truthset.errors import Invalid

EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True)
class UserInfo:
    id: int
    email: str
    is_admin: bool
    status: str
    worker_id: str


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 320 or not EMAIL.fullmatch(email):
        raise Invalid(f"{email!r} is not an e-mail address")
    return email


def token_hash(token: str) -> str:
    """Links and tokens are stored as this hash: a database leak does not leak usable ones."""
    return hashlib.sha256(token.encode()).hexdigest()


def user_info(row: Any) -> UserInfo:
    return UserInfo(row.id, row.email, row.is_admin, row.status, row.worker_id)


def find_user(conn: Connection, email: str) -> Any:
    """The users row of an e-mail address (already normalized), or None."""
    return conn.execute(select(User.__table__).where(User.email == email)).first()


def user_by_id(conn: Connection, user_id: int) -> Any:
    return conn.execute(select(User.__table__).where(User.id == user_id)).one()


def insert_user(conn: Connection, dep: Deployment, email: str, **values: object) -> int:
    now = dep.clock.now()
    fields = {"is_admin": False, "status": "invited", "password_hash": None, **values}
    result = conn.execute(
        insert(User).values(
            email=email, worker_id=secrets.token_hex(8), created_at=now, updated_at=now, **fields
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]
