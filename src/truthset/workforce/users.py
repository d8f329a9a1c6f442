"""Admins and workers: creating them, disabling and enabling, granting and taking admin.

There is always an active admin: the last one cannot be disabled or lose admin (in the console,
the REST API or the CLI), so somebody can always sign in to the console. If a database was
left without one anyway, `truthset admin create` or `truthset admin enable` on the server
brings one back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from truthset import audit
from truthset.db.tables import User
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid, NotFound
from truthset.identity import passwords
from truthset.identity.accounts import (
    UserInfo,
    find_user,
    insert_user,
    normalize_email,
    user_by_id,
    user_info,
)
from truthset.identity.sessions import end_sessions
from truthset.workforce.teams import add_member, team_id


def create_admin(dep: Deployment, email: str, password: str | None) -> tuple[UserInfo, str | None]:
    """Creates an admin (or makes an existing user one). Returns the password when generated."""
    email = normalize_email(email)
    generated = None if password else passwords.generate_password()
    hashed = passwords.hash_password(password or generated or "")
    with dep.db.write() as conn:
        existing = find_user(conn, email)
        if existing is not None:
            if existing.is_admin:
                raise Conflict(f"{email} is already an admin")
            conn.execute(
                update(User)
                .where(User.id == existing.id)
                .values(
                    is_admin=True, status="active", password_hash=hashed, updated_at=dep.clock.now()
                )
            )
            user_id = existing.id
        else:
            user_id = insert_user(
                conn, dep, email, is_admin=True, status="active", password_hash=hashed
            )
        user = user_by_id(conn, user_id)
        audit.record(conn, dep, "admin.created", detail={"user": email})
    return user_info(user), generated


def get_user(dep: Deployment, email: str) -> UserInfo:
    with dep.db.read() as conn:
        row = find_user(conn, normalize_email(email))
    if row is None:
        raise NotFound(f"no user {email}")
    return user_info(row)


def create_workers(
    dep: Deployment, emails: list[str], team: str, password: str | None
) -> list[tuple[UserInfo, str | None]]:
    """Creates active workers at once (scripted set-ups). Without a password each gets a generated one."""
    normalized = list(dict.fromkeys(normalize_email(e) for e in emails))
    if not normalized:
        raise Invalid("give at least one e-mail address")
    plain = {email: password or passwords.generate_password() for email in normalized}
    hashed = {email: passwords.hash_password(value) for email, value in plain.items()}
    created: list[tuple[UserInfo, str | None]] = []
    with dep.db.write() as conn:
        team_key = team_id(conn, team)
        for email in normalized:
            if find_user(conn, email) is not None:
                raise Conflict(
                    f"user {email} already exists; use 'team invite' to add them to {team}"
                )
            user_id = insert_user(conn, dep, email, status="active", password_hash=hashed[email])
            add_member(conn, dep, team_key, user_id)
            created.append(
                (user_info(user_by_id(conn, user_id)), None if password else plain[email])
            )
        audit.record(conn, dep, "team.members_added", detail={"team": team, "created": normalized})
    return created


def lock_admins(conn: Connection, dep: Deployment) -> set[int]:
    """The active admins' ids, their rows locked on PostgreSQL in id order, before any other
    user row: two admins disabling each other at the same moment then queue, and neither
    holds a row the other waits for (locking the target first deadlocked)."""
    query = select(User.id).where(User.is_admin.is_(True), User.status == "active")
    if not dep.db.is_sqlite:
        query = query.order_by(User.id).with_for_update()
    return set(conn.scalars(query))


def keep_an_admin(admins: set[int], user: Any) -> None:
    """Refuses to take away the last active admin (disabling or demoting `user`)."""
    if user.id in admins and not admins - {user.id}:
        raise Conflict(
            f"{user.email} is the last active admin: without them nobody could "
            "sign in to the console. Make someone else an admin first "
            "(truthset admin create EMAIL)"
        )


def _locked_user(conn: Connection, dep: Deployment, email: str) -> Any:
    query = select(User.__table__).where(User.email == normalize_email(email))
    if not dep.db.is_sqlite:
        query = query.with_for_update()
    user = conn.execute(query).first()
    if user is None:
        raise NotFound(f"no user {email}")
    return user


def set_disabled(dep: Deployment, email: str, disabled: bool) -> UserInfo:
    """Disables a user (their sessions, API tokens and task leases end at once) or enables
    them again. The last active admin cannot be disabled."""
    from truthset import dispatch  # dispatch builds on the workforce: imported when used

    with dep.db.write() as conn:
        admins = lock_admins(conn, dep) if disabled else set()
        user = _locked_user(conn, dep, email)
        if disabled:
            keep_an_admin(admins, user)
        signs_in = user.password_hash or user.oidc_subject
        status = "disabled" if disabled else "active" if signs_in else "invited"
        user_id: int = user.id
        conn.execute(
            update(User).where(User.id == user_id).values(status=status, updated_at=dep.clock.now())
        )
        if disabled:
            end_sessions(conn, dep, user_id)
            dispatch.end_worker_leases(conn, dep.clock.now(), user_id)
        action = "worker.disabled" if disabled else "worker.enabled"
        audit.record(conn, dep, action, detail={"user": user.email})
        row = user_by_id(conn, user_id)
    return user_info(row)


def set_admin(dep: Deployment, email: str, is_admin: bool) -> UserInfo:
    """Grants or takes away admin. The last active admin keeps it."""
    with dep.db.write() as conn:
        admins = lock_admins(conn, dep) if not is_admin else set()
        user = _locked_user(conn, dep, email)
        if not is_admin:
            keep_an_admin(admins, user)
        user_id = user.id
        conn.execute(
            update(User)
            .where(User.id == user_id)
            .values(is_admin=is_admin, updated_at=dep.clock.now())
        )
        action = "admin.granted" if is_admin else "admin.revoked"
        audit.record(conn, dep, action, detail={"user": user.email})
        row = user_by_id(conn, user_id)
    dep.token_cache.clear()
    return user_info(row)


def enable_admin(dep: Deployment, email: str) -> UserInfo:
    """The recovery when no admin can sign in: makes the user an active admin again. A user
    without a password needs `truthset admin create` (which sets one) instead."""
    with dep.db.write() as conn:
        user = _locked_user(conn, dep, email)
        if not user.password_hash:
            raise Invalid(
                f"{email} has no password; use 'truthset admin create {email}' to set one"
            )
        user_id = user.id
        conn.execute(
            update(User)
            .where(User.id == user_id)
            .values(is_admin=True, status="active", updated_at=dep.clock.now())
        )
        audit.record(conn, dep, "admin.granted", detail={"user": user.email, "recovery": True})
        row = user_by_id(conn, user_id)
    dep.token_cache.clear()
    return user_info(row)


def email_notifications(dep: Deployment, user_id: int) -> bool:
    """Whether the worker wants e-mail when a job with work for them starts."""
    with dep.db.read() as conn:
        return bool(conn.scalar(select(User.notify_email).where(User.id == user_id)))


def set_email_notifications(dep: Deployment, user_id: int, on: bool) -> None:
    """The worker's opt-out (or back in) of new-work e-mails."""
    with dep.db.write() as conn:
        conn.execute(
            update(User)
            .where(User.id == user_id)
            .values(notify_email=on, updated_at=dep.clock.now())
        )
