"""The private workforce: admins, workers, work teams, invitations, logins and tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select, update

from truthset import passwords
from truthset.db.tables import AuthToken, Invitation, LoginFailure, Team, TeamMember, User
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthenticated
from truthset.names import check_name

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass(frozen=True)
class UserInfo:
    id: int
    email: str
    is_admin: bool
    status: str
    worker_id: str


@dataclass(frozen=True)
class TeamInfo:
    name: str
    description: str
    members: int
    created_at: datetime
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Member:
    email: str
    status: str


@dataclass(frozen=True)
class InvitationResult:
    email: str
    status: str  # invited | active | disabled: the worker's status after the call
    url: str | None  # the invitation link, for workers who still have to set a password
    emailed: bool


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 320 or not _EMAIL.fullmatch(email):
        raise Invalid(f"{email!r} is not an e-mail address")
    return email


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user_info(row: User) -> UserInfo:
    return UserInfo(row.id, row.email, row.is_admin, row.status, row.worker_id)


def _find_user(conn: Connection, email: str) -> User | None:
    return conn.execute(select(User.__table__).where(User.email == email)).first()  # type: ignore[return-value]


def _insert_user(conn: Connection, dep: Deployment, email: str, **values: object) -> int:
    now = dep.clock.now()
    fields = {"is_admin": False, "status": "invited", "password_hash": None, **values}
    result = conn.execute(
        insert(User).values(
            email=email, worker_id=secrets.token_hex(8), created_at=now, updated_at=now, **fields
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def create_admin(dep: Deployment, email: str, password: str | None) -> tuple[UserInfo, str | None]:
    """Creates an admin (or makes an existing user one). Returns the password when generated."""
    email = normalize_email(email)
    generated = None if password else passwords.generate_password()
    hashed = passwords.hash_password(password or generated or "")
    with dep.db.write() as conn:
        existing = _find_user(conn, email)
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
            user_id = _insert_user(
                conn, dep, email, is_admin=True, status="active", password_hash=hashed
            )
        user = conn.execute(select(User.__table__).where(User.id == user_id)).one()
    return _user_info(user), generated  # type: ignore[arg-type]


def get_user(dep: Deployment, email: str) -> UserInfo:
    with dep.db.read() as conn:
        row = _find_user(conn, normalize_email(email))
    if row is None:
        raise NotFound(f"no user {email}")
    return _user_info(row)


def _team_id(conn: Connection, name: str) -> int:
    team_id = conn.scalar(select(Team.id).where(Team.name_key == name.lower()))
    if team_id is None:
        raise NotFound(f"no work team named {name!r}")
    return int(team_id)


def create_team(dep: Deployment, name: str, description: str = "") -> TeamInfo:
    check_name(name, "team name")
    if len(description) > 200:
        raise Invalid("team description must be at most 200 characters")
    now = dep.clock.now()
    with dep.db.write() as conn:
        if conn.scalar(select(Team.id).where(Team.name_key == name.lower())) is not None:
            raise Conflict(f"a work team named {name!r} already exists")
        conn.execute(
            insert(Team).values(
                name=name,
                name_key=name.lower(),
                description=description,
                created_at=now,
                updated_at=now,
            )
        )
    return TeamInfo(name, description, 0, now, now)


def update_team(dep: Deployment, name: str, description: str) -> None:
    if len(description) > 200:
        raise Invalid("team description must be at most 200 characters")
    with dep.db.write() as conn:
        team_id = _team_id(conn, name)
        conn.execute(
            update(Team)
            .where(Team.id == team_id)
            .values(description=description, updated_at=dep.clock.now())
        )


def add_members_of(dep: Deployment, team: str, sources: list[str]) -> int:
    """Adds everyone in the source teams to the team (a copy: later changes to the sources
    are not followed). Returns how many members the team gained."""
    with dep.db.write() as conn:
        team_id = _team_id(conn, team)
        source_ids = [_team_id(conn, source) for source in sources]
        users = set(
            conn.scalars(select(TeamMember.user_id).where(TeamMember.team_id.in_(source_ids)))
        )
        before = set(_member_ids(conn, team_id))
        for user_id in sorted(users - before):
            _add_member(conn, dep, team_id, user_id)
        if users - before:
            conn.execute(update(Team).where(Team.id == team_id).values(updated_at=dep.clock.now()))
    return len(users - before)


def _member_ids(conn: Connection, team_id: int) -> list[int]:
    return list(conn.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team_id)))


def list_teams(dep: Deployment) -> list[TeamInfo]:
    members = (
        select(TeamMember.team_id, func.count().label("n")).group_by(TeamMember.team_id).subquery()
    )
    query = (
        select(
            Team.name,
            Team.description,
            func.coalesce(members.c.n, 0),
            Team.created_at,
            Team.updated_at,
        )
        .outerjoin(members, members.c.team_id == Team.id)
        .order_by(Team.name_key)
    )
    with dep.db.read() as conn:
        return [TeamInfo(*row) for row in conn.execute(query)]


def get_team(dep: Deployment, name: str) -> tuple[TeamInfo, list[Member]]:
    with dep.db.read() as conn:
        team_id = _team_id(conn, name)
        team = conn.execute(select(Team.__table__).where(Team.id == team_id)).one()
        rows = conn.execute(
            select(User.email, User.status)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == team_id)
            .order_by(User.email)
        ).all()
    members = [Member(email, status) for email, status in rows]
    info = TeamInfo(team.name, team.description, len(members), team.created_at, team.updated_at)
    return info, members


def delete_team(dep: Deployment, name: str) -> None:
    from truthset.db.tables import Job

    with dep.db.write() as conn:
        team_id = _team_id(conn, name)
        active = conn.scalar(
            select(func.count())
            .select_from(Job)
            .where(
                Job.team_id == team_id, Job.status.in_(("Initializing", "InProgress", "Stopping"))
            )
        )
        if active:
            raise Conflict(f"work team {name!r} still has {active} running labeling job(s)")
        ended = conn.scalar(select(func.count()).select_from(Job).where(Job.team_id == team_id))
        if ended:
            # Every job keeps the team it was sent to (jobs.team_id), so the row must stay.
            raise Conflict(
                f"work team {name!r} is named by {ended} ended labeling job(s) and cannot be deleted"
            )
        conn.execute(delete(TeamMember).where(TeamMember.team_id == team_id))
        conn.execute(delete(Team).where(Team.id == team_id))
    dep.memberships.clear()


def _add_member(conn: Connection, dep: Deployment, team_id: int, user_id: int) -> None:
    dep.memberships.clear()
    exists = conn.scalar(
        select(TeamMember.user_id).where(
            TeamMember.team_id == team_id, TeamMember.user_id == user_id
        )
    )
    if exists is None:
        conn.execute(
            insert(TeamMember).values(team_id=team_id, user_id=user_id, added_at=dep.clock.now())
        )


def remove_member(dep: Deployment, team: str, email: str) -> None:
    email = normalize_email(email)
    with dep.db.write() as conn:
        team_id = _team_id(conn, team)
        user = _find_user(conn, email)
        if user is None:
            raise NotFound(f"no user {email}")
        conn.execute(
            delete(TeamMember).where(TeamMember.team_id == team_id, TeamMember.user_id == user.id)
        )
    dep.memberships.clear()


def invite(dep: Deployment, team: str, emails: list[str]) -> list[InvitationResult]:
    """Adds the addresses to the team; new ones get an invitation link (e-mailed when SMTP is set)."""
    normalized = list(dict.fromkeys(normalize_email(e) for e in emails))
    if not normalized:
        raise Invalid("give at least one e-mail address")
    pending: list[tuple[str, str | None, str]] = []
    with dep.db.write() as conn:
        team_id = _team_id(conn, team)
        for email in normalized:
            user = _find_user(conn, email)
            user_id = user.id if user is not None else _insert_user(conn, dep, email)
            status = user.status if user is not None else "invited"
            _add_member(conn, dep, team_id, user_id)
            url = _new_invitation(conn, dep, user_id, team_id) if status == "invited" else None
            pending.append((email, url, status))
    return [_deliver_invitation(dep, team, email, url, status) for email, url, status in pending]


def _new_invitation(conn: Connection, dep: Deployment, user_id: int, team_id: int) -> str:
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
            team_id=team_id,
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
        invitation_id, _email, user_id = _open_invitation(conn, dep, token)
        conn.execute(update(Invitation).where(Invitation.id == invitation_id).values(used_at=now))
        status = conn.scalar(select(User.status).where(User.id == user_id))
        new_status = "disabled" if status == "disabled" else "active"
        conn.execute(
            update(User)
            .where(User.id == user_id)
            .values(password_hash=hashed, status=new_status, updated_at=now)
        )
        user = conn.execute(select(User.__table__).where(User.id == user_id)).one()
    return _user_info(user)  # type: ignore[arg-type]


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
        team_id = _team_id(conn, team)
        for email in normalized:
            if _find_user(conn, email) is not None:
                raise Conflict(
                    f"user {email} already exists; use 'team invite' to add them to {team}"
                )
            user_id = _insert_user(conn, dep, email, status="active", password_hash=hashed[email])
            _add_member(conn, dep, team_id, user_id)
            user = conn.execute(select(User.__table__).where(User.id == user_id)).one()
            created.append((_user_info(user), None if password else plain[email]))  # type: ignore[arg-type]
    return created


def set_disabled(dep: Deployment, email: str, disabled: bool) -> UserInfo:
    email = normalize_email(email)
    with dep.db.write() as conn:
        user = _find_user(conn, email)
        if user is None:
            raise NotFound(f"no user {email}")
        status = "disabled" if disabled else "active" if user.password_hash else "invited"
        conn.execute(
            update(User).where(User.id == user.id).values(status=status, updated_at=dep.clock.now())
        )
        if disabled:
            conn.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
        row = conn.execute(select(User.__table__).where(User.id == user.id)).one()
    dep.token_cache.clear()
    return _user_info(row)  # type: ignore[arg-type]


def _check_rate(conn: Connection, dep: Deployment, keys: list[tuple[str, int]]) -> None:
    since = dep.clock.now() - timedelta(seconds=dep.settings.login_failure_window)
    for key, limit in keys:
        failures = conn.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.at > since)
        )
        if failures and failures >= limit:
            minutes = max(1, dep.settings.login_failure_window // 60)
            raise TooManyRequests(f"too many failed logins; try again in {minutes} minutes")


def authenticate(dep: Deployment, email: str, password: str, client: str) -> UserInfo:
    """Checks a login. Failures are counted per address and per client and rate-limited."""
    email = email.strip().lower()
    limit = dep.settings.login_max_failures
    keys = [(f"email:{email}", limit), (f"client:{client}", limit * 5)]
    with dep.db.read() as conn:
        _check_rate(conn, dep, keys)
        user = _find_user(conn, email) if _EMAIL.fullmatch(email) else None
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or user.status != "active":
        with dep.db.write() as conn:
            now = dep.clock.now()
            conn.execute(insert(LoginFailure), [{"key": key, "at": now} for key, _ in keys])
        if ok and user is not None and user.status == "disabled":
            raise Unauthenticated("this account is disabled")
        raise Unauthenticated("wrong e-mail address or password")
    with dep.db.write() as conn:
        conn.execute(delete(LoginFailure).where(LoginFailure.key == keys[0][0]))
    return _user_info(user)


def change_password(dep: Deployment, user_id: int, current: str, new: str) -> None:
    with dep.db.read() as conn:
        stored = conn.scalar(select(User.password_hash).where(User.id == user_id))
    if not passwords.verify_password(stored, current):
        raise Invalid("the current password is wrong")
    hashed = passwords.hash_password(new)
    with dep.db.write() as conn:
        conn.execute(
            update(User)
            .where(User.id == user_id)
            .values(password_hash=hashed, updated_at=dep.clock.now())
        )


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


def resolve_token(dep: Deployment, token: str) -> tuple[UserInfo, str]:
    """The user and token kind behind a bearer token or session; raises Unauthenticated."""
    digest = token_hash(token)
    now = dep.clock.now()
    cached = dep.token_cache.get(digest, now)
    if cached is not None:
        return cached  # type: ignore[return-value]
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
    result = (UserInfo(row.id, row.email, row.is_admin, row.status, row.worker_id), row.kind)
    dep.token_cache.put(digest, result, now)
    return result


def revoke_token(dep: Deployment, token: str) -> None:
    with dep.db.write() as conn:
        conn.execute(delete(AuthToken).where(AuthToken.token_hash == token_hash(token)))
    dep.token_cache.clear()


def team_ids_of(conn: Connection, user_id: int) -> list[int]:
    return list(conn.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user_id)))


def cached_team_ids(dep: Deployment, conn: Connection, user_id: int) -> list[int]:
    """The user's teams, remembered for a few seconds (dispatch asks on every request)."""
    now = dep.clock.now()
    cached = dep.memberships.get(str(user_id), now)
    if cached is None:
        cached = team_ids_of(conn, user_id)
        dep.memberships.put(str(user_id), cached, now)
    return cached  # type: ignore[return-value]


def forget_old_failures(dep: Deployment, now: datetime) -> None:
    since = now - timedelta(seconds=dep.settings.login_failure_window)
    with dep.db.write() as conn:
        conn.execute(delete(LoginFailure).where(LoginFailure.at <= since))
