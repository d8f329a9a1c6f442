"""Handing out tasks and taking answers.

Invariants: an object never has more than N answers, a worker never gets the same object twice
(also a unique constraint), at most max_concurrent_tasks objects are out with workers at once.
leases.py hands tasks out, answers.py takes answers, declines and releases, worker_view.py says
what a worker has left.
"""

from truthset.dispatch.answers import close_object, decline, release, submit_answer
from truthset.dispatch.leases import (
    GOLD_RATIO,
    MAX_LEASES_PER_WORKER,
    LeasedTask,
    end_worker_leases,
    expire_leases,
    member_job,
    next_task,
)
from truthset.dispatch.worker_view import REMAINING_CAP, WorkerJob, task_context, worker_jobs

__all__ = [
    "GOLD_RATIO",
    "MAX_LEASES_PER_WORKER",
    "REMAINING_CAP",
    "LeasedTask",
    "WorkerJob",
    "close_object",
    "decline",
    "end_worker_leases",
    "expire_leases",
    "member_job",
    "next_task",
    "release",
    "submit_answer",
    "task_context",
    "worker_jobs",
]
