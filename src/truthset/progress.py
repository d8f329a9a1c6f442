"""How far a job has come: for the console, objects and the answers collected on them per
object state; for a worker, how much of the job is done and how much of it by them.

Counted with the indexes dispatch uses (objects by job and state, tasks by job and worker), so
the figures stay cheap on a large job. Answers are summed on the objects still with workers or
awaiting consolidation only: those are bounded by the job's window of concurrent objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from truthset.db.tables import Annotation, DataObject, Job, Task
from truthset.deployment import Deployment
from truthset.dispatch import member_job  # the same "not your job" answer as dispatch gives
from truthset.errors import Gone, NotFound
from truthset.workforce import UserInfo

# Object states in the order an object goes through them, with what the console calls them.
STATES = {
    "prehook": "Waiting for the pre-annotation hook",
    "held": "Waiting for the labeling model",
    "queued": "Waiting to go out",
    "open": "With workers",
    "answered": "Being consolidated",
    "labeled": "Labeled by workers",
    "autolabeled": "Labeled by the model",
    "skipped": "Not for humans (pre-annotation hook)",
    "failed": "Failed",
    "refused": "Refused messages (streaming queue)",
    "gold": "Gold questions",
}
# Answers are summed on these states only (bounded by the window; see the module docstring).
COUNTED = ("open", "answered")
# Objects in these states need no more work from workers ("answered": all its answers are in,
# consolidation follows).
DONE = ("answered", "labeled", "autolabeled", "skipped", "failed", "refused")


@dataclass(frozen=True)
class StateRow:
    state: str
    title: str
    objects: int
    answers: int | None  # None: not counted for this state


@dataclass(frozen=True)
class JobProgress:
    rows: list[StateRow]
    answers: int  # every answer stored for the job
    workers_per_object: int


def job_progress(dep: Deployment, job_id: int) -> JobProgress:
    with dep.db.read() as conn:
        counts = dict(
            conn.execute(
                select(DataObject.state, func.count())
                .where(DataObject.job_id == job_id)
                .group_by(DataObject.state)
            ).all()
        )
        sums = dict(
            conn.execute(
                select(DataObject.state, func.coalesce(func.sum(DataObject.answers), 0))
                .where(DataObject.job_id == job_id, DataObject.state.in_(COUNTED))
                .group_by(DataObject.state)
            ).all()
        )
        answers = conn.scalar(select(func.count()).where(Annotation.job_id == job_id))
        workers = conn.scalar(select(Job.workers_per_object).where(Job.id == job_id))
    rows = [
        StateRow(
            state,
            title,
            int(counts.get(state, 0)),
            int(sums.get(state, 0)) if state in COUNTED else None,
        )
        for state, title in STATES.items()
        if counts.get(state) or state in ("queued", "open", "labeled")
    ]
    return JobProgress(rows, int(answers or 0), int(workers or 1))


@dataclass(frozen=True)
class WorkerProgress:
    objects: int  # in the job
    done: int  # objects that need no more work from workers
    mine: int  # answers this worker submitted in the job


def worker_progress(dep: Deployment, user: UserInfo, job_name: str) -> WorkerProgress:
    """What the portal shows while a worker works: "12 of 40 done in this job, 5 by you"."""
    with dep.db.read() as conn:
        job = member_job(dep, conn, user, job_name)
        objects = conn.scalar(select(Job.object_count).where(Job.id == job.id))
        done = conn.scalar(
            select(func.count()).where(DataObject.job_id == job.id, DataObject.state.in_(DONE))
        )
        mine = conn.scalar(
            select(func.count()).where(
                Task.job_id == job.id, Task.user_id == user.id, Task.status == "submitted"
            )
        )
    return WorkerProgress(int(objects or 0), int(done or 0), int(mine or 0))


def start_task(dep: Deployment, user: UserInfo, task_id: int) -> float:
    """The worker now sees the task: its time limit counts from here, not from when the portal
    fetched it ahead. Returns the seconds left. Moving the deadline is bounded to twice the
    limit after the lease, so that calling this again and again cannot hold a task for ever
    (a prefetched task is shown at the latest when the one before it ran out)."""
    now = dep.clock.now()
    with dep.db.write() as conn:
        task = conn.execute(
            select(Task.id, Task.user_id, Task.status, Task.leased_at, Task.expires_at).where(
                Task.id == task_id
            )
        ).first()
        if task is None or task.user_id != user.id:
            raise NotFound(f"no task {task_id} for you")
        if task.status != "leased" or task.expires_at <= now:
            raise Gone(f"task {task_id} is no longer yours to work on")
        limit = conn.scalar(
            select(Job.task_time_limit).join(Task, Task.job_id == Job.id).where(Task.id == task_id)
        )
        window = timedelta(seconds=int(limit or 0))
        expires: datetime = max(task.expires_at, min(now + window, task.leased_at + 2 * window))
        conn.execute(
            update(Task)
            .where(Task.id == task_id, Task.status == "leased")
            .values(expires_at=expires)
        )
    return (expires - now).total_seconds()
