"""Password sign-in and password changes, with their limits (identity/limits.py).

A wrong password, an unknown address, an account without a password and a disabled account
all get the same answer, so an answer never confirms a password or an account.
"""

from __future__ import annotations

from sqlalchemy import select, update

from truthset.audit import record, record_now
from truthset.db.tables import User
from truthset.deployment import Deployment
from truthset.errors import Invalid, Unauthenticated
from truthset.identity import limits, passwords
from truthset.identity.accounts import EMAIL, UserInfo, find_user, user_info
from truthset.identity.sessions import end_sessions

WRONG = "wrong e-mail address or password"
# An address may fail this many times more than one account from it, over all accounts.
ADDRESS_FACTOR = 5


def _limits(dep: Deployment, email: str, client: str) -> list[tuple[str, int]]:
    free = dep.settings.login_max_failures
    return [(f"pair:{email}|{client}", free), (f"addr:{client}", free * ADDRESS_FACTOR)]


def authenticate(dep: Deployment, email: str, password: str, client: str) -> UserInfo:
    """Checks a password sign-in from the client address. Raises Throttled while the account
    from this address (or the address itself) must wait after failures, else Unauthenticated
    for every kind of failure alike. Each attempt leaves one audit entry."""
    email = email.strip().lower()
    keys = _limits(dep, email, client)
    with dep.db.read() as conn:
        try:
            limits.check(conn, dep, keys, "failed sign-ins from your address")
        except limits.Throttled:
            _failed(dep, email, "throttled")
            raise
        user = find_user(conn, email) if EMAIL.fullmatch(email) else None
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or user.status != "active":
        with dep.db.write() as conn:
            limits.record(conn, dep, [key for key, _ in keys])
            record(conn, dep, "signin.failed", actor=email, detail={"method": "password"})
        raise Unauthenticated(WRONG)
    if not _password_allowed(dep, email):
        _failed(dep, email, "password sign-in is off")
        raise Unauthenticated(
            "password sign-in is turned off here: sign in with your organisation's account"
        )
    with dep.db.write() as conn:
        limits.clear(conn, keys[0][0])
        record(
            conn, dep, "signin", actor=user.email, actor_id=user.id, detail={"method": "password"}
        )
    return user_info(user)


def _failed(dep: Deployment, email: str, reason: str) -> None:
    record_now(dep, "signin.failed", actor=email, detail={"method": "password", "reason": reason})


def _password_allowed(dep: Deployment, email: str) -> bool:
    settings = dep.settings
    return settings.password_sign_in or email == settings.break_glass_admin.strip().lower()


def change_password(
    dep: Deployment, user_id: int, current: str, new: str, keep: str | None = None
) -> None:
    """Sets a new password after checking the current one (wrong ones are limited like
    sign-ins), and ends the user's other sessions and API tokens (all but `keep`)."""
    key = f"change:{user_id}"
    with dep.db.read() as conn:
        limits.check(conn, dep, [(key, dep.settings.login_max_failures)], "wrong passwords")
        stored = conn.scalar(select(User.password_hash).where(User.id == user_id))
    if not passwords.verify_password(stored, current):
        with dep.db.write() as conn:
            limits.record(conn, dep, [key])
        raise Invalid("the current password is wrong")
    hashed = passwords.hash_password(new)
    with dep.db.write() as conn:
        conn.execute(
            update(User)
            .where(User.id == user_id)
            .values(password_hash=hashed, updated_at=dep.clock.now())
        )
        limits.clear(conn, key)
        end_sessions(conn, dep, user_id, keep=keep)
