"""Data objects whose media cannot be read: they fail with the reason instead of staying open.

A missing object fails at once (nobody can label it). Other read failures (access denied, an
unreachable store, a folder or a link out of the data roots where the file was) may be
passing, so the object fails only after TRUTHSET_MEDIA_READ_ATTEMPTS of them.
"""

from __future__ import annotations

from sqlalchemy import case, select, update

from truthset.db.tables import DataObject, Job, Task
from truthset.deployment import Deployment


def count_unreadable(dep: Deployment, task_id: int, reason: str) -> bool:
    """Counts one failed read of the task's media; at the limit the object closes (see
    `close_unreadable`). True when it closed."""
    with dep.db.write() as conn:
        task = conn.execute(select(Task.job_id, Task.object_id).where(Task.id == task_id)).first()
        if task is None:
            return False
        failures = conn.scalar(
            update(DataObject)
            .where(
                DataObject.job_id == task.job_id,
                DataObject.object_id == task.object_id,
                DataObject.state == "open",
            )
            .values(media_failures=DataObject.media_failures + 1)
            .returning(DataObject.media_failures)
        )
    if failures is None or failures < max(1, dep.settings.media_read_attempts):
        return False
    close_unreadable(dep, task_id, f"{reason} ({failures} attempts)")
    return True


def close_unreadable(dep: Deployment, task_id: int, reason: str) -> None:
    """The task's media cannot be read (missing, or failed too often): nobody can label it, so every
    lease on it ends and it closes: consolidated if some worker answered before, else failed
    with the reason, which the output and the job's counters then show."""
    now = dep.clock.now()
    with dep.db.write() as conn:
        task = conn.execute(select(Task.job_id, Task.object_id).where(Task.id == task_id)).first()
        if task is None:
            return
        answered = DataObject.answers > 0
        # Guarded by state, so two requests for the same missing file close it once.
        closed = conn.execute(
            update(DataObject)
            .where(
                DataObject.job_id == task.job_id,
                DataObject.object_id == task.object_id,
                DataObject.state == "open",
            )
            .values(
                state=case((answered, "answered"), else_="failed"),
                failure_reason=case((answered, None), else_=reason[:1024]),
                failed_at=case((answered, None), else_=now),
                leased=0,
            )
        )
        if closed.rowcount != 1:
            return
        conn.execute(update(Job).where(Job.id == task.job_id).values(open_count=Job.open_count - 1))
        conn.execute(
            update(Task)
            .where(
                Task.job_id == task.job_id,
                Task.object_id == task.object_id,
                Task.status == "leased",
            )
            .values(status="expired", ended_at=now)
        )
    dep.wake.set()
