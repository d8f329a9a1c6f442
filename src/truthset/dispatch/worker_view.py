"""What a worker sees of their jobs: the jobs with work left for them, and a task's context."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, exists, func, select

from truthset.db import dispatch_queries as q
from truthset.db.tables import DataObject, Job, Task
from truthset.deployment import Deployment
from truthset.errors import NotFound
from truthset.workforce import UserInfo, team_ids_of


@dataclass(frozen=True)
class WorkerJob:
    name: str
    title: str
    description: str
    task_type: str
    remaining: int  # objects this worker could still be given, up to REMAINING_CAP
    task_time_limit: int


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


# The worker's job list counts queued objects up to here ("1,000+"): an exact count would
# read every queued object of a large job on each call.
REMAINING_CAP = 1_000


def _remaining(conn: Connection, job: Any, user_id: int) -> int:
    queued = conn.scalar(
        select(func.count()).select_from(
            select(DataObject.object_id)
            .where(DataObject.job_id == job.id, DataObject.state == "queued")
            # Ordered as the index is, so that PostgreSQL walks it (see first_in_state).
            .order_by(DataObject.priority, DataObject.object_id)
            .limit(REMAINING_CAP)
            .subquery()
        )
    )
    open_for_me = conn.scalar(
        select(func.count()).where(
            DataObject.job_id == job.id,
            DataObject.state == "open",
            DataObject.answers + DataObject.leased
            < func.coalesce(DataObject.wanted, _first_want(job)),
            ~_seen_by(user_id),
        )
    )
    return min(REMAINING_CAP, int(queued or 0) + int(open_for_me or 0))


def _first_want(job: Any) -> int:
    """A job row's answers per newly opened object (its minimum with adaptive workers)."""
    options = json.loads(job.options or "{}").get("adaptive")
    return int(options["min_workers_per_object"]) if options else int(job.workers_per_object)


def _seen_by(user_id: int) -> Any:
    return exists().where(
        Task.job_id == DataObject.job_id,
        Task.object_id == DataObject.object_id,
        Task.user_id == user_id,
    )


def task_context(dep: Deployment, user: UserInfo, task_id: int) -> tuple[Any, Any, dict[str, Any]]:
    """(task row, job row, manifest line) of a task leased to this worker; for a custom job
    whose pre-annotation hook ran, its taskInput in place of the line."""
    with dep.db.read() as conn:
        task = conn.execute(select(Task.__table__).where(Task.id == task_id)).first()
        if task is None or task.user_id != user.id:
            raise NotFound(f"no task {task_id} for you")
        job = conn.execute(select(Job.__table__).where(Job.id == task.job_id)).one()
        line = conn.scalar(
            select(q.object_input).where(
                DataObject.job_id == task.job_id, DataObject.object_id == task.object_id
            )
        )
    return task, job, json.loads(line or "{}")
