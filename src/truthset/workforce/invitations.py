"""Invitations: a worker added by e-mail gets a single-use link to choose a password."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, insert, select, update

from truthset import audit
from truthset.db.tables import Invitation, User
from truthset.deployment import Deployment
from truthset.errors import Invalid, NotFound
from truthset.identity import passwords
from truthset.identity.accounts import (
    UserInfo,
    find_user,
    insert_user,
    normalize_email,
    token_hash,
    user_by_id,
    user_info,
)
from truthset.workforce.teams import add_member, team_id


@dataclass(frozen=True)
class InvitationResult:
    email: str
    status: str  # invited | active | disabled: the worker's status after the call
    url: str | None  # the invitation link, for workers who still have to set a password
    emailed: bool


def invite(dep: Deployment, team: str, emails: list[str]) -> list[InvitationResult]:
    """Adds the addresses to the team; new ones get an invitation link (e-mailed when SMTP is set)."""
    normalized = list(dict.fromkeys(normalize_email(e) for e in emails))
    if not normalized:
        raise Invalid("give at least one e-mail address")
    pending: list[tuple[str, str | None, str]] = []
    with dep.db.write() as conn:
        found = team_id(conn, team)
        for email in normalized:
            user = find_user(conn, email)
            user_id = user.id if user is not None else insert_user(conn, dep, email)
            status = user.status if user is not None else "invited"
            add_member(conn, dep, found, user_id)
            url = _new_invitation(conn, dep, user_id, found) if status == "invited" else None
            pending.append((email, url, status))
        audit.record(conn, dep, "team.invited", detail={"team": team, "workers": normalized})
    return [_deliver_invitation(dep, team, email, url, status) for email, url, status in pending]


def _new_invitation(conn: Connection, dep: Deployment, user_id: int, team: int) -> str:
    now = dep.clock.now()
    # A new link replaces older ones: only the latest e-mail works.
    conn.execute(
        update(Invitation)
        .where(Invitation.user_id == user_id, Invitation.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    conn.execute(
        insert(Invitation).values(
            token_hash=token_hash(token),
            user_id=user_id,
            team_id=team,
            created_at=now,
            expires_at=now + timedelta(seconds=dep.settings.invitation_ttl),
        )
    )
    return f"{dep.settings.base_url}/invite/{token}"


def _deliver_invitation(
    dep: Deployment, team: str, email: str, url: str | None, status: str
) -> InvitationResult:
    if url is None or dep.mailer is None:
        return InvitationResult(email, status, url, emailed=False)
    days = dep.settings.invitation_ttl // 86400
    dep.mailer.send(
        email,
        f"You are invited to label data for the {team} team",
        f"You have been invited to the work team {team} on truthset.\n\n"
        f"Set your password and start labeling here (the link works once, for {days} days):\n"
        f"{url}\n",
    )
    return InvitationResult(email, status, url, emailed=True)


def invitation_email(dep: Deployment, token: str) -> str:
    """The address an invitation is for; raises NotFound when the link is unknown, used or expired."""
    with dep.db.read() as conn:
        return _open_invitation(conn, dep, token)[1]


def _open_invitation(conn: Connection, dep: Deployment, token: str) -> tuple[int, str, int]:
    row = conn.execute(
        select(Invitation.id, User.email, User.id, Invitation.expires_at, Invitation.used_at)
        .join(User, User.id == Invitation.user_id)
        .where(Invitation.token_hash == token_hash(token))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= dep.clock.now():
        raise NotFound(
            "this invitation link is unknown, already used or expired; ask for a new one"
        )
    return row[0], row[1], row[2]


def accept_invitation(dep: Deployment, token: str, password: str) -> UserInfo:
    hashed = passwords.hash_password(password)
    now = dep.clock.now()
    with dep.db.write() as conn:
        invitation_id, email, user_id = _open_invitation(conn, dep, token)
        conn.execute(update(Invitation).where(Invitation.id == invitation_id).values(used_at=now))
        status = conn.scalar(select(User.status).where(User.id == user_id))
        new_status = "disabled" if status == "disabled" else "active"
        conn.execute(
            update(User)
            .where(User.id == user_id)
            .values(password_hash=hashed, status=new_status, updated_at=now)
        )
        if new_status == "active":
            detail = {"method": "invitation"}
            audit.record(conn, dep, "signin", actor=email, actor_id=user_id, detail=detail)
        user = user_by_id(conn, user_id)
    return user_info(user)
