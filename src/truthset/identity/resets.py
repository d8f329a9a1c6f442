"""Password resets: a single-use, expiring link to set a new password.

Asked for on the "forgot password" page (e-mailed when SMTP is set; the answer is the same
whether or not the address has an account, and the mail leaves in the background so the
answer's timing says nothing either), or handed out by an admin (`truthset admin reset-link`)
when there is no SMTP. Using a link ends the user's sessions and API tokens.
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import timedelta

from sqlalchemy import Connection, delete, insert, select, update

from truthset import audit
from truthset.db.tables import LoginFailure, PasswordReset, User
from truthset.deployment import Deployment
from truthset.errors import NotFound
from truthset.identity import limits, passwords
from truthset.identity.accounts import (
    EMAIL,
    UserInfo,
    find_user,
    normalize_email,
    token_hash,
    user_by_id,
    user_info,
)
from truthset.identity.sessions import end_sessions

log = logging.getLogger(__name__)
# Reset e-mails one address may receive per failure window, however often they are asked for.
MAILS_PER_WINDOW = 3


def _new_link(conn: Connection, dep: Deployment, user_id: int) -> str:
    now = dep.clock.now()
    token = secrets.token_urlsafe(32)
    conn.execute(
        insert(PasswordReset).values(
            token_hash=token_hash(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + timedelta(seconds=dep.settings.password_reset_ttl),
        )
    )
    return f"{dep.settings.base_url}/password/reset/{token}"


def reset_link(dep: Deployment, email: str) -> str:
    """A reset link for an admin to pass on (no SMTP needed)."""
    email = normalize_email(email)
    with dep.db.write() as conn:
        user = find_user(conn, email)
        if user is None:
            raise NotFound(f"no user {email}")
        return _new_link(conn, dep, user.id)


def request_reset(dep: Deployment, email: str, client: str) -> None:
    """E-mails a reset link if the address has an account that may sign in. Raises Throttled
    when this client address asked too often; says nothing about the account either way."""
    email = email.strip().lower()
    address_key, mail_key = f"reset-addr:{client}", f"reset:{email}"
    with dep.db.write() as conn:
        limits.check(conn, dep, [(address_key, dep.settings.login_max_failures)], "reset requests")
        limits.record(conn, dep, [address_key, mail_key])
        user = find_user(conn, email) if EMAIL.fullmatch(email) else None
        if user is None or user.status == "disabled" or dep.mailer is None:
            return
        if limits.count(conn, dep, mail_key) > MAILS_PER_WINDOW:
            return
        url = _new_link(conn, dep, user.id)
    _send_later(dep, email, url)


def _send_later(dep: Deployment, email: str, url: str) -> None:
    mailer = dep.mailer
    assert mailer is not None
    minutes = max(1, dep.settings.password_reset_ttl // 60)
    text = (
        "Someone (hopefully you) asked to reset your truthset password.\n\n"
        f"Choose a new one here (the link works once, for {minutes} minutes):\n{url}\n\n"
        "If it was not you, ignore this e-mail: your password stays as it is.\n"
    )

    def send() -> None:
        try:
            mailer.send(email, "Reset your truthset password", text)
        except Exception:
            log.exception("the password reset e-mail could not be sent")

    threading.Thread(target=send, name="reset-mail", daemon=True).start()


def _open_link(conn: Connection, dep: Deployment, token: str) -> tuple[int, str]:
    row = conn.execute(
        select(PasswordReset.id, User.email, PasswordReset.expires_at, PasswordReset.used_at)
        .join(User, User.id == PasswordReset.user_id)
        .where(PasswordReset.token_hash == token_hash(token))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= dep.clock.now():
        raise NotFound(
            "this password reset link is unknown, already used or expired; ask for a new one"
        )
    return row.id, row.email


def reset_email(dep: Deployment, token: str) -> str:
    """The address a reset link is for; NotFound when it is unknown, used or expired."""
    with dep.db.read() as conn:
        return _open_link(conn, dep, token)[1]


def complete_reset(dep: Deployment, token: str, password: str) -> UserInfo:
    """Sets the new password, uses up the link (and every other open link of the user), and
    ends the user's sessions and API tokens."""
    hashed = passwords.hash_password(password)
    now = dep.clock.now()
    with dep.db.write() as conn:
        link_id, email = _open_link(conn, dep, token)
        user = find_user(conn, email)
        conn.execute(update(PasswordReset).where(PasswordReset.id == link_id).values(used_at=now))
        conn.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        )
        status = "disabled" if user.status == "disabled" else "active"
        conn.execute(
            update(User)
            .where(User.id == user.id)
            .values(password_hash=hashed, status=status, updated_at=now)
        )
        end_sessions(conn, dep, user.id)
        if status == "active":  # a disabled account gets its password, not a session
            detail = {"method": "password reset"}
            audit.record(conn, dep, "signin", actor=email, actor_id=user.id, detail=detail)
        # Whoever locked the account out of an address by guessing is forgotten.
        conn.execute(
            delete(LoginFailure).where(
                LoginFailure.key.startswith(f"pair:{email}|", autoescape=True)
            )
        )
        return user_info(user_by_id(conn, user.id))
