"""Recording entries (one INSERT, in the caller's transaction where it has one) and reading
them back with filters. Nothing here updates or deletes an entry: only the sealer fills in the
chain columns of unsealed rows, and retention pruning removes whole old stretches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from truthset.audit.origin import current_origin
from truthset.db.tables import AuditEntry
from truthset.deployment import Deployment

# Every action the trail records (docs/audit.md describes each).
ACTIONS = (
    "signin",
    "signin.failed",
    "media.fetched",
    "media.presigned",
    "task.answered",
    "task.declined",
    "task.released",
    "team.created",
    "team.updated",
    "team.deleted",
    "team.members_added",
    "team.member_removed",
    "team.groups_set",
    "team.invited",
    "worker.disabled",
    "worker.enabled",
    "admin.created",
    "admin.granted",
    "admin.revoked",
    "job.created",
    "job.stopped",
    "label.overridden",
    "object.sent_back",
    "worker.model_created",
    "accesskey.created",
    "accesskey.revoked",
    "workforce.created",
    "workforce.updated",
    "workforce.deleted",
    "export.output_manifest",
    "export.worker_quality",
    "export.audit",
)
_ACTIONS = frozenset(ACTIONS)


def values(
    dep: Deployment,
    action: str,
    *,
    job: str | None = None,
    object_id: int | None = None,
    actor: str | None = None,
    actor_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The row for an entry: the actor is the one given, else whoever the request signed in."""
    if action not in _ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    origin = current_origin()
    if actor is None:
        actor, actor_id = origin.actor, origin.actor_id
    return {
        "at": dep.clock.now(),
        "actor": actor[:320],
        "actor_id": actor_id,
        "action": action,
        "job": job,
        "object_id": object_id,
        "address": origin.address,
        "request_id": origin.request_id,
        "detail": json.dumps(detail or {}, sort_keys=True, separators=(",", ":")),
    }


def record(conn: Connection, dep: Deployment, action: str, **fields: Any) -> None:
    """Appends one entry inside the caller's write transaction (one INSERT, no lock: the
    sealer puts it in the chain)."""
    conn.execute(insert(AuditEntry), values(dep, action, **fields))


def record_now(dep: Deployment, action: str, **fields: Any) -> None:
    """Appends one entry in a transaction of its own (for actions that write nothing else)."""
    with dep.db.write() as conn:
        record(conn, dep, action, **fields)


@dataclass(frozen=True)
class Filters:
    actor: str | None = None
    action: str | None = None
    job: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _where(filters: Filters) -> list[Any]:
    conditions: list[Any] = []
    if filters.actor:
        conditions.append(AuditEntry.actor == filters.actor.strip().lower())
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    if filters.job:
        conditions.append(AuditEntry.job == filters.job)
    if filters.since is not None:
        conditions.append(AuditEntry.at >= filters.since)
    if filters.until is not None:
        conditions.append(AuditEntry.at < filters.until)
    return conditions


def latest(
    dep: Deployment, filters: Filters, limit: int = 200, before: int | None = None
) -> list[Any]:
    """The newest entries matching the filters, newest first (the console's page)."""
    query = select(AuditEntry.__table__).where(*_where(filters))
    if before is not None:
        query = query.where(AuditEntry.id < before)
    with dep.db.read() as conn:
        return list(conn.execute(query.order_by(AuditEntry.id.desc()).limit(limit)))


def iterate(dep: Deployment, filters: Filters, batch: int = 1000) -> Iterator[Any]:
    """Every matching entry, oldest first, read in batches (exports of any size)."""
    after = 0
    while True:
        with dep.db.read() as conn:
            rows = list(
                conn.execute(
                    select(AuditEntry.__table__)
                    .where(AuditEntry.id > after, *_where(filters))
                    .order_by(AuditEntry.id)
                    .limit(batch)
                )
            )
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id
