"""Worker activity per job, as Ground Truth's CloudWatch worker metrics count it (namespace
AWS/SageMaker/Workteam, dimension LabelingJobName): TasksAccepted, TasksSubmitted,
TasksDeclined, TasksReturned, TimeSpent, ActiveWorkers; per worker and for the whole job.
https://docs.aws.amazon.com/sagemaker/latest/dg/workteam-private-tracking.html"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, case, func, select

from truthset.db.tables import Task, User
from truthset.deployment import Deployment
from truthset.errors import NotFound
from truthset.jobs import job_record


@dataclass
class Activity:
    """One worker's (or the job's) counts. TasksReturned: given back (released); TasksExpired:
    leases that ran out (Ground Truth counts these as returned too, here they are apart)."""

    TasksAccepted: int = 0
    TasksSubmitted: int = 0
    TasksDeclined: int = 0
    TasksReturned: int = 0
    TasksExpired: int = 0
    TimeSpent: float = 0.0  # seconds, over submitted tasks, lease to answer

    @property
    def MeanTimePerTask(self) -> float | None:
        return self.TimeSpent / self.TasksSubmitted if self.TasksSubmitted else None

    def add(self, other: Activity) -> None:
        for name in (
            "TasksAccepted",
            "TasksSubmitted",
            "TasksDeclined",
            "TasksReturned",
            "TasksExpired",
            "TimeSpent",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class JobActivity:
    job: str
    ActiveWorkers: int
    totals: Activity
    workers: list[tuple[str, str, Activity]] = field(default_factory=list)  # worker id, e-mail


def _seconds(conn: Connection) -> Any:
    if conn.dialect.name == "sqlite":
        return (func.julianday(Task.ended_at) - func.julianday(Task.leased_at)) * 86400.0
    return func.extract("epoch", Task.ended_at - Task.leased_at)


def _count(status: str) -> Any:
    return func.sum(case((Task.status == status, 1), else_=0))


def job_activity(dep: Deployment, name: str) -> JobActivity:
    with dep.db.read() as conn:
        job = job_record(dep, conn, name=name)
        if job is None:
            raise NotFound(f"no labeling job named {name!r}")
        spent = func.sum(case((Task.status == "submitted", _seconds(conn)), else_=0.0))
        rows = conn.execute(
            select(
                User.worker_id,
                User.email,
                func.count(),
                _count("submitted"),
                _count("declined"),
                _count("released"),
                _count("expired"),
                spent,
            )
            .join(User, User.id == Task.user_id)
            .where(Task.job_id == job.id)
            .group_by(User.worker_id, User.email)
            .order_by(User.email)
        ).all()
    result = JobActivity(job.name, 0, Activity())
    for worker_id, email, *counts in rows:
        accepted, submitted, declined, returned, expired, seconds = counts
        activity = Activity(
            TasksAccepted=int(accepted or 0),
            TasksSubmitted=int(submitted or 0),
            TasksDeclined=int(declined or 0),
            TasksReturned=int(returned or 0),
            TasksExpired=int(expired or 0),
            TimeSpent=round(float(seconds or 0), 3),
        )
        result.workers.append((worker_id, email, activity))
        result.totals.add(activity)
        result.ActiveWorkers += 1 if activity.TasksSubmitted else 0
    result.totals.TimeSpent = round(result.totals.TimeSpent, 3)
    return result
