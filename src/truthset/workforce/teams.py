"""Work teams and their members, and the provider groups a team follows.

A team with provider groups (OIDC, from a SageMaker OidcMemberDefinition or `truthset team
groups`) is managed by the provider: whoever signs in through it with one of those groups is a
member, and leaves the team when the group is gone at their next sign-in. Teams without groups
are managed here (invitations, `worker create`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from truthset import audit
from truthset.db.tables import Job, Team, TeamGroup, TeamMember, User
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid, NotFound
from truthset.identity.accounts import find_user, normalize_email
from truthset.names import check_name

RUNNING = ("Initializing", "InProgress", "Stopping")


@dataclass(frozen=True)
class TeamInfo:
    name: str
    description: str
    members: int
    created_at: datetime
    updated_at: datetime | None = None
    # NotificationConfiguration.NotificationTopicArn: members are e-mailed about new work.
    notification_topic: str | None = None


@dataclass(frozen=True)
class Member:
    email: str
    status: str


def team_id(conn: Connection, name: str) -> int:
    found = conn.scalar(select(Team.id).where(Team.name_key == name.lower()))
    if found is None:
        raise NotFound(f"no work team named {name!r}")
    return int(found)


def _check_description(description: str) -> None:
    if len(description) > 200:
        raise Invalid("team description must be at most 200 characters")


def create_team(
    dep: Deployment, name: str, description: str = "", notification_topic: str | None = None
) -> TeamInfo:
    check_name(name, "team name")
    _check_description(description)
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
                notification_topic=notification_topic,
            )
        )
        audit.record(conn, dep, "team.created", detail={"team": name})
    return TeamInfo(name, description, 0, now, now, notification_topic)


def set_notifications(dep: Deployment, name: str, topic: str | None) -> None:
    """Turns e-mail about new work on (a topic: any non-empty name) or off (None)."""
    if topic is not None and not 1 <= len(topic) <= 256:
        raise Invalid("NotificationTopicArn must be 1-256 characters")
    with dep.db.write() as conn:
        found = team_id(conn, name)
        conn.execute(
            update(Team)
            .where(Team.id == found)
            .values(notification_topic=topic or None, updated_at=dep.clock.now())
        )
        audit.record(conn, dep, "team.updated", detail={"team": name, "notifications": topic})


def update_team(dep: Deployment, name: str, description: str) -> None:
    _check_description(description)
    with dep.db.write() as conn:
        found = team_id(conn, name)
        conn.execute(
            update(Team)
            .where(Team.id == found)
            .values(description=description, updated_at=dep.clock.now())
        )
        audit.record(conn, dep, "team.updated", detail={"team": name, "description": description})


def add_members_of(dep: Deployment, team: str, sources: list[str]) -> int:
    """Adds everyone in the source teams to the team (a copy: later changes to the sources
    are not followed). Returns how many members the team gained."""
    with dep.db.write() as conn:
        target = team_id(conn, team)
        source_ids = [team_id(conn, source) for source in sources]
        users = set(
            conn.scalars(select(TeamMember.user_id).where(TeamMember.team_id.in_(source_ids)))
        )
        new = users - set(_member_ids(conn, target))
        for user_id in sorted(new):
            add_member(conn, dep, target, user_id)
        if new:
            conn.execute(update(Team).where(Team.id == target).values(updated_at=dep.clock.now()))
        audit.record(
            conn,
            dep,
            "team.members_added",
            detail={"team": team, "from": sources, "added": len(new)},
        )
    return len(new)


def _member_ids(conn: Connection, team: int) -> list[int]:
    return list(conn.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team)))


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
            Team.notification_topic,
        )
        .outerjoin(members, members.c.team_id == Team.id)
        .where(Team.deleted_at.is_(None))
        .order_by(Team.name_key)
    )
    with dep.db.read() as conn:
        return [TeamInfo(*row) for row in conn.execute(query)]


def get_team(dep: Deployment, name: str) -> tuple[TeamInfo, list[Member]]:
    with dep.db.read() as conn:
        found = team_id(conn, name)
        team = conn.execute(select(Team.__table__).where(Team.id == found)).one()
        rows = conn.execute(
            select(User.email, User.status)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == found)
            .order_by(User.email)
        ).all()
    members = [Member(email, status) for email, status in rows]
    info = TeamInfo(
        team.name,
        team.description,
        len(members),
        team.created_at,
        team.updated_at,
        team.notification_topic,
    )
    return info, members


def delete_team(dep: Deployment, name: str) -> None:
    """Deletes a team without running jobs. A team that ended jobs were sent to stays as a
    record those jobs point at (they still show its name); its name is free for a new team."""
    with dep.db.write() as conn:
        found = team_id(conn, name)
        running = conn.scalar(
            select(func.count()).where(Job.team_id == found, Job.status.in_(RUNNING))
        )
        if running:
            raise Conflict(f"work team {name!r} still has {running} running labeling job(s)")
        conn.execute(delete(TeamMember).where(TeamMember.team_id == found))
        conn.execute(delete(TeamGroup).where(TeamGroup.team_id == found))
        if conn.scalar(select(func.count()).where(Job.team_id == found)):
            # Team names never contain '#', so the old name_key cannot clash with a new team.
            conn.execute(
                update(Team)
                .where(Team.id == found)
                .values(name_key=f"#{found}", deleted_at=dep.clock.now())
            )
        else:
            conn.execute(delete(Team).where(Team.id == found))
        audit.record(conn, dep, "team.deleted", detail={"team": name})
    dep.memberships.clear()


def add_member(conn: Connection, dep: Deployment, team: int, user_id: int) -> None:
    dep.memberships.clear()
    exists = conn.scalar(
        select(TeamMember.user_id).where(TeamMember.team_id == team, TeamMember.user_id == user_id)
    )
    if exists is None:
        conn.execute(
            insert(TeamMember).values(team_id=team, user_id=user_id, added_at=dep.clock.now())
        )


def drop_member(conn: Connection, dep: Deployment, team: int, user_id: int) -> None:
    """Takes the user out of the team; their leased tasks of its jobs end (the objects go back
    to the team)."""
    from truthset import dispatch  # dispatch builds on the workforce: imported when used

    conn.execute(
        delete(TeamMember).where(TeamMember.team_id == team, TeamMember.user_id == user_id)
    )
    dispatch.end_worker_leases(conn, dep.clock.now(), user_id, team_id=team)
    dep.memberships.clear()


def remove_member(dep: Deployment, team: str, email: str) -> None:
    email = normalize_email(email)
    with dep.db.write() as conn:
        found = team_id(conn, team)
        user = find_user(conn, email)
        if user is None:
            raise NotFound(f"no user {email}")
        drop_member(conn, dep, found, user.id)
        audit.record(conn, dep, "team.member_removed", detail={"team": team, "worker": email})


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


def team_groups(dep: Deployment, name: str) -> list[str]:
    """The provider groups whose members the team follows (empty: managed here)."""
    with dep.db.read() as conn:
        found = team_id(conn, name)
        return list(
            conn.scalars(
                select(TeamGroup.group_name)
                .where(TeamGroup.team_id == found)
                .order_by(TeamGroup.position)
            )
        )


def set_team_groups(dep: Deployment, name: str, groups: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(group.strip() for group in groups if group.strip()))
    for group in chosen:
        if len(group) > 63:
            raise Invalid(f"group {group[:20]!r}...: at most 63 characters")
    if len(chosen) > 10:
        raise Invalid("a team follows at most 10 groups")
    with dep.db.write() as conn:
        found = team_id(conn, name)
        conn.execute(delete(TeamGroup).where(TeamGroup.team_id == found))
        if chosen:
            conn.execute(
                insert(TeamGroup),
                [
                    {"team_id": found, "group_name": group, "position": index}
                    for index, group in enumerate(chosen)
                ],
            )
        conn.execute(update(Team).where(Team.id == found).values(updated_at=dep.clock.now()))
        audit.record(conn, dep, "team.groups_set", detail={"team": name, "groups": chosen})
    return chosen


def follow_groups(conn: Connection, dep: Deployment, user_id: int, groups: set[str]) -> set[int]:
    """Makes the user's memberships in provider-managed teams match their groups; returns the
    ids of the teams their groups map to."""
    mapped = conn.execute(
        select(TeamGroup.team_id, TeamGroup.group_name)
        .join(Team, Team.id == TeamGroup.team_id)
        .where(Team.deleted_at.is_(None))
    ).all()
    managed = {row.team_id for row in mapped}
    wanted = {row.team_id for row in mapped if row.group_name in groups}
    current = set(team_ids_of(conn, user_id))
    for team in sorted(wanted - current):
        add_member(conn, dep, team, user_id)
    for team in sorted((current & managed) - wanted):
        drop_member(conn, dep, team, user_id)
    return wanted
