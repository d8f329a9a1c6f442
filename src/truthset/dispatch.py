"""Handing out tasks and taking answers.

Leasing a task is one transaction: on SQLite writers are serialised (BEGIN IMMEDIATE); on
PostgreSQL candidate objects are locked with FOR UPDATE SKIP LOCKED and every counter update
re-checks its condition. Invariants: an object never has more than N answers, a worker never
gets the same object twice (also a unique constraint), at most max_concurrent_tasks objects are
out with workers at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, exists, func, insert, select, update

from truthset.db.tables import Annotation, DataObject, Job, Task
from truthset.deployment import Deployment
from truthset.errors import Gone, NotFound
from truthset.jobs import job_spec
from truthset.tasktypes.registry import task_type
from truthset.workforce import UserInfo, team_ids_of

# A worker may hold the task they work on plus one prefetched task per job.
MAX_LEASES_PER_WORKER = 2


@dataclass(frozen=True)
class LeasedTask:
    task_id: int
    job_name: str
    object_id: int
    leased_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class WorkerJob:
    name: str
    title: str
    description: str
    task_type: str
    remaining: int  # objects this worker could still be given
    task_time_limit: int


def _member_job(conn: Connection, user: UserInfo, job_name: str) -> Any:
    row = conn.execute(select(Job.__table__).where(Job.name_key == job_name.lower())).first()
    if row is None or row.team_id not in team_ids_of(conn, user.id):
        # Same answer for "no such job" and "not your team's job": workers learn nothing.
        raise NotFound(f"no labeling job named {job_name!r} for you")
    return row


def worker_jobs(dep: Deployment, user: UserInfo) -> list[WorkerJob]:
    """Running jobs of the worker's teams that still have work for them."""
    with dep.db.read() as conn:
        teams = team_ids_of(conn, user.id)
        rows = conn.execute(
            select(Job.__table__)
            .where(Job.team_id.in_(teams), Job.status == "InProgress")
            .order_by(Job.created_at)
        ).all()
        jobs = [
            WorkerJob(
                r.name,
                r.title,
                r.description,
                r.task_type,
                _remaining(conn, r, user.id),
                r.task_time_limit,
            )
            for r in rows
        ]
    return [job for job in jobs if job.remaining > 0]


def _remaining(conn: Connection, job: Any, user_id: int) -> int:
    queued = conn.scalar(
        select(func.count()).where(DataObject.job_id == job.id, DataObject.state == "queued")
    )
    open_for_me = conn.scalar(
        select(func.count()).where(
            DataObject.job_id == job.id,
            DataObject.state == "open",
            DataObject.answers + DataObject.leased < job.workers_per_object,
            ~_seen_by(user_id),
        )
    )
    return int(queued or 0) + int(open_for_me or 0)


def _seen_by(user_id: int) -> Any:
    return exists().where(
        Task.job_id == DataObject.job_id,
        Task.object_id == DataObject.object_id,
        Task.user_id == user_id,
    )


def next_task(dep: Deployment, user: UserInfo, job_name: str) -> LeasedTask | None:
    """Leases one task of the job to the worker, or None when nothing is left for them."""
    now = dep.clock.now()
    with dep.db.write() as conn:
        job = _member_job(conn, user, job_name)
        if job.status != "InProgress":
            return None
        # Lapsed leases are swept here too (at most once a second), so a freed slot is
        # handed out without waiting for the background runner.
        if dep.throttle.due(("expire", job.id), now, 1.0):
            expire_leases(conn, now, job.id)
        active = conn.execute(
            select(Task.id, Task.object_id, Task.leased_at, Task.expires_at)
            .where(
                Task.job_id == job.id,
                Task.user_id == user.id,
                Task.status == "leased",
                Task.expires_at > now,
            )
            .order_by(Task.id)
        ).all()
        if len(active) >= MAX_LEASES_PER_WORKER:
            first = active[0]
            return LeasedTask(
                first.id, job.name, first.object_id, first.leased_at, first.expires_at
            )
        object_id = _lease_open_object(dep, conn, job, user.id)
        if object_id is None:
            object_id = _open_next_object(dep, conn, job, now)
        if object_id is None:
            return None
        expires = now + timedelta(seconds=job.task_time_limit)
        task_id = conn.execute(
            insert(Task).values(
                job_id=job.id,
                object_id=object_id,
                user_id=user.id,
                status="leased",
                leased_at=now,
                expires_at=expires,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    return LeasedTask(int(task_id), job.name, object_id, now, expires)


def _lease_open_object(dep: Deployment, conn: Connection, job: Any, user_id: int) -> int | None:
    """Takes one more lease on an object already out with workers, if one fits this worker."""
    query = (
        select(DataObject.object_id)
        .where(
            DataObject.job_id == job.id,
            DataObject.state == "open",
            DataObject.answers + DataObject.leased < job.workers_per_object,
            ~_seen_by(user_id),
        )
        .order_by(DataObject.object_id)
        .limit(1)
    )
    if not dep.db.is_sqlite:
        query = query.with_for_update(skip_locked=True, of=DataObject)
    object_id = conn.scalar(query)
    if object_id is None:
        return None
    taken = conn.execute(
        update(DataObject)
        .where(
            DataObject.job_id == job.id,
            DataObject.object_id == object_id,
            DataObject.state == "open",
            DataObject.answers + DataObject.leased < job.workers_per_object,
        )
        .values(leased=DataObject.leased + 1)
    )
    return int(object_id) if taken.rowcount == 1 else None


def _open_next_object(dep: Deployment, conn: Connection, job: Any, now: datetime) -> int | None:
    """Sends the next queued object out, if fewer than max_concurrent_tasks are out."""
    room = conn.execute(
        update(Job)
        .where(Job.id == job.id, Job.open_count < Job.max_concurrent_tasks)
        .values(open_count=Job.open_count + 1)
    )
    if room.rowcount != 1:
        return None
    query = (
        select(DataObject.object_id)
        .where(DataObject.job_id == job.id, DataObject.state == "queued")
        .order_by(DataObject.object_id)
        .limit(1)
    )
    if not dep.db.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    object_id = conn.scalar(query)
    if object_id is None:
        conn.execute(update(Job).where(Job.id == job.id).values(open_count=Job.open_count - 1))
        return None
    conn.execute(
        update(DataObject)
        .where(DataObject.job_id == job.id, DataObject.object_id == object_id)
        .values(state="open", opened_at=now, leased=1)
    )
    return int(object_id)


def expire_leases(conn: Connection, now: datetime, job_id: int | None = None) -> int:
    """Ends leases past their time limit so the objects can go to someone else."""
    condition = and_(Task.status == "leased", Task.expires_at <= now)
    if job_id is not None:
        condition = and_(condition, Task.job_id == job_id)
    expired = conn.execute(
        update(Task)
        .where(condition)
        .values(status="expired", ended_at=now)
        .returning(Task.job_id, Task.object_id)
    ).all()
    for row in expired:
        conn.execute(
            update(DataObject)
            .where(
                DataObject.job_id == row.job_id,
                DataObject.object_id == row.object_id,
                DataObject.leased > 0,
            )
            .values(leased=DataObject.leased - 1)
        )
    return len(expired)


def _own_leased_task(conn: Connection, dep: Deployment, user: UserInfo, task_id: int) -> Any:
    query = select(Task.__table__).where(Task.id == task_id)
    if not dep.db.is_sqlite:
        query = query.with_for_update()
    task = conn.execute(query).first()
    if task is None or task.user_id != user.id:
        raise NotFound(f"no task {task_id} for you")
    now = dep.clock.now()
    if task.status in ("leased", "expired") and task.expires_at <= now:
        raise Gone(
            f"task {task_id}'s time limit passed at {task.expires_at:%Y-%m-%d %H:%M:%S} UTC; "
            "the answer was not stored"
        )
    if task.status == "expired":
        raise Gone(
            f"task {task_id} was withdrawn (the job stopped or the object closed); the answer was not stored"
        )
    if task.status != "leased":
        raise Gone(f"task {task_id} is already {task.status}; the answer was not stored")
    return task


def task_context(dep: Deployment, user: UserInfo, task_id: int) -> tuple[Any, Any, dict[str, Any]]:
    """(task row, job row, manifest line) of a task leased to this worker."""
    with dep.db.read() as conn:
        task = conn.execute(select(Task.__table__).where(Task.id == task_id)).first()
        if task is None or task.user_id != user.id:
            raise NotFound(f"no task {task_id} for you")
        job = conn.execute(select(Job.__table__).where(Job.id == task.job_id)).one()
        line = conn.scalar(
            select(DataObject.line).where(
                DataObject.job_id == task.job_id, DataObject.object_id == task.object_id
            )
        )
    return task, job, json.loads(line or "{}")


def submit_answer(dep: Deployment, user: UserInfo, task_id: int, answer: Any) -> None:
    """Stores a worker's answer; returns only after it is committed."""
    _task, job, _line = task_context(dep, user, task_id)
    content = task_type(job.task_type).validate_answer(job_spec(job), answer)
    now = dep.clock.now()
    closed = False
    with dep.db.write() as conn:
        task = _own_leased_task(conn, dep, user, task_id)
        status = conn.scalar(select(Job.status).where(Job.id == task.job_id))
        if status != "InProgress":
            raise Gone(f"the labeling job is {status}; the answer was not stored")
        conn.execute(
            insert(Annotation).values(
                task_id=task.id,
                job_id=task.job_id,
                object_id=task.object_id,
                user_id=user.id,
                content=json.dumps(content),
                accepted_at=task.leased_at,
                submitted_at=now,
            )
        )
        conn.execute(
            update(Task).where(Task.id == task.id).values(status="submitted", ended_at=now)
        )
        answers = conn.execute(
            update(DataObject)
            .where(DataObject.job_id == task.job_id, DataObject.object_id == task.object_id)
            .values(answers=DataObject.answers + 1, leased=DataObject.leased - 1)
            .returning(DataObject.answers, DataObject.state)
        ).one()
        if answers.answers >= job.workers_per_object and answers.state == "open":
            close_object(conn, task.job_id, task.object_id, "answered")
            closed = True
    if closed:
        dep.wake.set()


def close_object(
    conn: Connection, job_id: int, object_id: int, state: str, reason: str | None = None
) -> None:
    """Takes an open object out of circulation (answered for consolidation, or failed)."""
    conn.execute(
        update(DataObject)
        .where(DataObject.job_id == job_id, DataObject.object_id == object_id)
        .values(state=state, failure_reason=reason)
    )
    conn.execute(update(Job).where(Job.id == job_id).values(open_count=Job.open_count - 1))


def _give_back(dep: Deployment, user: UserInfo, task_id: int, status: str) -> None:
    now = dep.clock.now()
    with dep.db.write() as conn:
        task = _own_leased_task(conn, dep, user, task_id)
        conn.execute(update(Task).where(Task.id == task.id).values(status=status, ended_at=now))
        declined = 1 if status == "declined" else 0
        row = conn.execute(
            update(DataObject)
            .where(DataObject.job_id == task.job_id, DataObject.object_id == task.object_id)
            .values(leased=DataObject.leased - 1, declines=DataObject.declines + declined)
            .returning(DataObject.answers, DataObject.declines, DataObject.state)
        ).one()
        workers = conn.scalar(select(Job.workers_per_object).where(Job.id == task.job_id))
        if declined and row.state == "open" and row.declines >= (workers or 1):
            # Every worker it was meant for declined it: Ground Truth stops offering it.
            state = "answered" if row.answers else "failed"
            reason = None if row.answers else f"declined by {row.declines} workers"
            close_object(conn, task.job_id, task.object_id, state, reason)
            dep.wake.set()


def decline(dep: Deployment, user: UserInfo, task_id: int) -> None:
    """The worker says something is wrong with the object; they will not get it again."""
    _give_back(dep, user, task_id, "declined")


def release(dep: Deployment, user: UserInfo, task_id: int) -> None:
    """The worker gives the task back for someone else; their work on it is lost."""
    _give_back(dep, user, task_id, "released")
