"""Runner leases: which process works on a job's background steps right now. A row update, so
it holds across server processes and the CLI on SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

from sqlalchemy import or_, update

from truthset.db.tables import Job
from truthset.deployment import Deployment

LEASE_SECONDS = 60


def new_owner(kind: str) -> str:
    return f"{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def acquire(dep: Deployment, job_id: int, owner: str) -> bool:
    """Takes (or renews) the job's lease; False when another live owner holds it."""
    now = dep.clock.now()
    with dep.db.write() as conn:
        taken = conn.execute(
            update(Job)
            .where(
                Job.id == job_id,
                or_(Job.runner_until.is_(None), Job.runner_until < now, Job.runner_owner == owner),
            )
            .values(runner_owner=owner, runner_until=now + timedelta(seconds=LEASE_SECONDS))
        )
    return taken.rowcount == 1


def release(dep: Deployment, job_id: int, owner: str) -> None:
    with dep.db.write() as conn:
        conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.runner_owner == owner)
            .values(runner_owner=None, runner_until=None)
        )
