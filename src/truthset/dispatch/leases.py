"""Leasing tasks: the next task for a worker, gold questions among them, and leases that end.

Leasing a task is one transaction: on SQLite writers are serialised (BEGIN IMMEDIATE) and the
statements run on the driver's cursor (db/sqlite_cursor.py); on PostgreSQL a job without gold
questions leases in one statement (db/dispatch_postgres.py), otherwise candidate objects are
locked with FOR UPDATE SKIP LOCKED and every counter update re-checks its condition.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, select, update

from truthset import adaptive
from truthset.db import dispatch_postgres
from truthset.db import dispatch_queries as q
from truthset.db.sqlite_cursor import run
from truthset.db.tables import DataObject, Job, Task
from truthset.deployment import Deployment
from truthset.errors import NotFound, NotReady
from truthset.jobs import JobRecord, job_record
from truthset.operations.metrics import count_lease
from truthset.workforce import UserInfo, cached_team_ids

# A worker may hold the task they work on plus one prefetched task per job.
MAX_LEASES_PER_WORKER = 2
# Default share of a worker's tasks that are gold questions, when the manifest has some.
GOLD_RATIO = 0.1


@dataclass(frozen=True)
class LeasedTask:
    task_id: int
    job: JobRecord
    object_id: int
    line: str  # the manifest line, as stored (a custom job's pre-annotation taskInput instead)
    leased_at: datetime
    expires_at: datetime

    @property
    def job_name(self) -> str:
        return self.job.name


def member_job(dep: Deployment, conn: Connection, user: UserInfo, job_name: str) -> JobRecord:
    record = job_record(dep, conn, name=job_name)
    if record is None or record.team_id not in cached_team_ids(dep, conn, user.id):
        # Same answer for "no such job" and "not your team's job": workers learn nothing.
        raise NotFound(f"no labeling job named {job_name!r} for you")
    return record


class _WindowFilled(Exception):
    """Another worker's lease filled the last free place in the window first (PostgreSQL)."""


def next_task(dep: Deployment, user: UserInfo, job_name: str) -> LeasedTask | None:
    """Leases one task of the job to the worker, or None when nothing is left for them.
    Raises NotReady while the job is still storing its objects."""
    for _ in range(3):
        try:
            leased = _lease_next(dep, user, job_name)
        except _WindowFilled:
            continue  # rolled back; the next try sees the window full and leases elsewhere
        if leased is not None:
            count_lease()
        return leased
    return None


def _lease_next(dep: Deployment, user: UserInfo, job_name: str) -> LeasedTask | None:
    now = dep.clock.now()
    if not dep.db.is_sqlite:
        leased, done = _try_postgres(dep, user, job_name, now)
        if done:
            return leased
    with dep.db.write() as conn:
        job = member_job(dep, conn, user, job_name)
        state = run(conn, q.job_state, {"p_job": job.id}).one()
        if state.status != "InProgress":
            _not_in_progress(state.status)
            return None
        _sweep_lapsed(dep, conn, job.id, now)
        active = run(
            conn, q.active_leases, {"p_job": job.id, "p_user": user.id, "p_now": now}
        ).all()
        if len(active) >= MAX_LEASES_PER_WORKER:
            first = active[0]
            line = conn.scalar(
                select(q.object_input).where(
                    DataObject.job_id == job.id, DataObject.object_id == first.object_id
                )
            )
            return LeasedTask(
                first.id, job, first.object_id, line or "{}", first.leased_at, first.expires_at
            )
        params = {
            "p_job": job.id,
            "p_user": user.id,
            "p_n": adaptive.initial_want(job),
            "p_now": now,
        }
        dialect = "sqlite" if dep.db.is_sqlite else "postgresql"
        candidate = _lease_gold_object(dep, conn, job, params) or _lease_open_object(
            conn, dialect, params
        )
        opened = None
        if candidate is None and state.open_count < state.max_concurrent_tasks:
            candidate = opened = _open_next_object(conn, dialect, params)
        if candidate is None:
            return None
        object_id, line = candidate
        expires = now + timedelta(seconds=job.task_time_limit)
        task_id = run(
            conn,
            q.new_task,
            {
                "job_id": job.id,
                "object_id": object_id,
                "user_id": user.id,
                "status": "leased",
                "leased_at": now,
                "expires_at": expires,
            },
        ).scalar_one()
        # The window's count on the job row is taken last: every lease that opens an object
        # updates that one row, and its lock is held until commit, so the lock is taken just
        # before the commit instead of across the whole lease.
        if opened and run(conn, q.reserve_room, params).rowcount != 1:
            raise _WindowFilled
    return _leased(dep, LeasedTask(int(task_id), job, object_id, line, now, expires), user)


def _not_in_progress(status: str) -> None:
    """Nothing to lease in a job that is not running; a job still storing its objects says so
    (a client that stopped on "nothing for you" would stop for good)."""
    if status == "Initializing":
        raise NotReady("the labeling job is still storing its objects; ask again shortly")


def _sweep_lapsed(dep: Deployment, conn: Connection, job_id: int, now: datetime) -> None:
    """Lapsed leases are swept in the request path too (at most once a second per job), so a
    freed place is handed out without waiting for the background runner."""
    if _sweep_due(dep, job_id, now):
        expire_leases(conn, now, job_id)


def _sweep_due(dep: Deployment, job_id: int, now: datetime) -> bool:
    return dep.throttle.due(("expire", job_id), now, 1.0)


def _has_gold(dep: Deployment, conn: Connection, job: JobRecord) -> bool:
    has_gold = dep.job_records.get(("gold", job.id))
    if has_gold is None:
        has_gold = dep.job_records[("gold", job.id)] = bool(
            conn.scalar(q.has_gold, {"p_job": job.id})
        )
    return bool(has_gold)


def _try_postgres(
    dep: Deployment, user: UserInfo, job_name: str, now: datetime
) -> tuple[LeasedTask | None, bool]:
    """PostgreSQL's one-statement lease and True, or (None, False) for a job with gold
    questions (leased as on SQLite). A due sweep of lapsed leases runs on a
    connection of its own between two checkouts, never inside one: the pool has no overflow,
    so requests each holding a connection while waiting for a second piled up (one more every
    second the sweep fell due) until all of the pool was held and every request timed out
    (500s under 100 workers in CI)."""
    with dep.db.autocommit() as conn:
        job = member_job(dep, conn, user, job_name)
        if _has_gold(dep, conn, job):
            return None, False
        if not _sweep_due(dep, job.id, now):
            return _lease_postgres(dep, conn, job, user, now), True
    with dep.db.write() as sweep:
        expire_leases(sweep, now, job.id)
    with dep.db.autocommit() as conn:
        return _lease_postgres(dep, conn, job, user, now), True


def _lease_postgres(
    dep: Deployment, conn: Connection, job: JobRecord, user: UserInfo, now: datetime
) -> LeasedTask | None:
    """The lease as one statement (db/dispatch_postgres.py), for jobs without gold questions."""
    expires = now + timedelta(seconds=job.task_time_limit)
    row = dispatch_postgres.lease(
        conn, job.id, user.id, adaptive.initial_want(job), MAX_LEASES_PER_WORKER, now, expires
    )
    if row is None:
        return None
    if row.kind == "status":
        _not_in_progress(row.line)
        return None
    if row.kind == "filled":
        raise _WindowFilled
    leased = LeasedTask(
        int(row.task_id), job, int(row.object_id), row.line, row.leased_at, row.expires_at
    )
    return _leased(dep, leased, user)


def _leased(dep: Deployment, leased: LeasedTask, user: UserInfo) -> LeasedTask:
    # Remembered so the answer need not look the task up before its one statement.
    dep.task_owners.put(str(leased.task_id), (leased.job.id, user.id), dep.clock.now())
    return leased


def _lease_gold_object(
    dep: Deployment, conn: Connection, job: JobRecord, params: dict[str, Any]
) -> tuple[int, str] | None:
    """Now and then a gold question instead of real work: a share `gold_ratio` of each worker's
    tasks, drawn from a keyed hash of the worker's last task so a worker cannot predict which
    task is gold (and the draw reads one index entry, not the worker's whole history)."""
    if not _has_gold(dep, conn, job):
        return None
    last = int(conn.scalar(q.last_task_given, params) or 0)
    draw = hashlib.sha256(f"{dep.secret_key}:{job.id}:{params['p_user']}:{last}".encode()).digest()
    if int.from_bytes(draw[:8], "big") / 2**64 >= float(
        job.spec.options.get("gold_ratio", GOLD_RATIO)
    ):
        return None
    row = conn.execute(q.gold_candidate, params).first()
    if row is None:
        return None
    conn.execute(q.take_gold_lease, {**params, "p_object": row.object_id})
    return int(row.object_id), row.line


def _lease_open_object(
    conn: Connection, dialect: str, params: dict[str, Any]
) -> tuple[int, str] | None:
    """Takes one more lease on an object already out with workers, if one fits this worker."""
    row = run(conn, q.open_candidate[dialect], params).first()
    if row is None:
        return None
    taken = run(conn, q.take_lease, {**params, "p_object": row.object_id})
    return (int(row.object_id), row.line) if taken.rowcount == 1 else None


def _open_next_object(
    conn: Connection, dialect: str, params: dict[str, Any]
) -> tuple[int, str] | None:
    """Sends the next queued object out (the caller checked the window has room and takes the
    place in it last)."""
    row = run(conn, q.queued_candidate[dialect], params).first()
    if row is None:
        return None
    run(conn, q.open_object, {**params, "p_object": row.object_id})
    return int(row.object_id), row.line


def expire_leases(conn: Connection, now: datetime, job_id: int | None = None) -> int:
    """Ends leases past their time limit so the objects can go to someone else."""
    condition = and_(Task.status == "leased", Task.expires_at <= now)
    if job_id is not None:
        condition = and_(condition, Task.job_id == job_id)
    return _end_leases(conn, condition, "expired", now)


def end_worker_leases(
    conn: Connection, now: datetime, user_id: int, team_id: int | None = None
) -> int:
    """Ends the worker's leased tasks (all of them, or those of one team's jobs) when they are
    disabled or leave the team: the tasks become `released`, their objects go back to the team,
    a later answer gets 410 and the tasks' media URLs stop working."""
    condition = and_(Task.user_id == user_id, Task.status == "leased")
    if team_id is not None:
        condition = and_(condition, Task.job_id.in_(select(Job.id).where(Job.team_id == team_id)))
    return _end_leases(conn, condition, "released", now)


def _end_leases(conn: Connection, condition: Any, status: str, now: datetime) -> int:
    """Ends the matching leased tasks with `status` and gives each object its place back."""
    ended = conn.execute(
        update(Task)
        .where(condition)
        .values(status=status, ended_at=now)
        .returning(Task.job_id, Task.object_id)
    ).all()
    for row in ended:
        conn.execute(
            update(DataObject)
            .where(
                DataObject.job_id == row.job_id,
                DataObject.object_id == row.object_id,
                DataObject.leased > 0,
            )
            .values(leased=DataObject.leased - 1)
        )
    return len(ended)
