"""Taking answers, declines and releases, and taking objects out of circulation.

An answer is one transaction: on SQLite its statements run on the driver's cursor
(db/sqlite_cursor.py); on PostgreSQL it is one statement (db/dispatch_postgres.py) unless the
task type checks the answer against the object itself.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, select, update

from truthset import adaptive, audit
from truthset.audit.trail import values as audit_values
from truthset.db import dispatch_postgres
from truthset.db import dispatch_queries as q
from truthset.db.sqlite_cursor import run
from truthset.db.tables import DataObject, Job, Task
from truthset.deployment import Deployment
from truthset.errors import Gone, NotFound
from truthset.jobs import JobRecord, job_record
from truthset.operations.metrics import count_answer
from truthset.tasktypes.registry import task_type
from truthset.workforce import UserInfo

log = logging.getLogger(__name__)


def _own_leased_task(conn: Connection, dep: Deployment, user: UserInfo, task_id: int) -> Any:
    dialect = "sqlite" if dep.db.is_sqlite else "postgresql"
    task = run(conn, q.task_for_answer[dialect], {"p_task": task_id}).first()
    _check_answerable(task, user, task_id, dep.clock.now())
    return task


def _check_answerable(task: Any, user: UserInfo, task_id: int, now: datetime) -> None:
    """Raises why the worker cannot act on this task any more (NotFound, Gone), if they cannot."""
    if task is None or task.user_id != user.id:
        raise NotFound(f"no task {task_id} for you")
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


def submit_answer(dep: Deployment, user: UserInfo, task_id: int, answer: Any) -> None:
    """Stores a worker's answer; returns only after it is committed."""
    if not dep.db.is_sqlite and _answer_postgres(dep, user, task_id, answer):
        count_answer()
        return
    now = dep.clock.now()
    closed = False
    with dep.db.write() as conn:
        task = _own_leased_task(conn, dep, user, task_id)
        if task.job_status != "InProgress":
            raise Gone(f"the labeling job is {task.job_status}; the answer was not stored")
        job = job_record(dep, conn, job_id=task.job_id)
        assert job is not None
        content = _checked_answer(conn, job, task.object_id, answer)
        run(
            conn,
            q.new_annotation,
            {
                "task_id": task.id,
                "job_id": task.job_id,
                "object_id": task.object_id,
                "user_id": user.id,
                "content": json.dumps(content),
                "code": task_type(job.task_type).answer_code(job.spec, content),
                "accepted_at": task.leased_at,
                "submitted_at": now,
            },
        )
        run(conn, q.end_task, {"p_task": task.id, "p_status": "submitted", "p_now": now})
        entry = audit_values(
            dep, "task.answered", **_audited(user, job.name, task.object_id, task.id)
        )
        run(conn, q.new_audit_entry, entry)
        counted = run(
            conn, q.count_answer, {"p_job": task.job_id, "p_object": task.object_id}
        ).one()
        if counted.state == "open" and counted.answers >= answers_to_close(job, counted.wanted):
            close_object(conn, task.job_id, task.object_id, "answered")
            closed = True
    count_answer()
    if closed:
        dep.wake.set()
    _after_answer(dep, job, task.object_id, counted.answers, counted.wanted, counted.state)


def answers_to_close(job: JobRecord, wanted: int | None) -> int:
    """The answers that close an open object whatever else happens: the job's workers per
    object; for an object sent back for more answers (send_back.py) its `wanted` count; in an
    adaptive job, where `wanted` also grows one answer at a time below the maximum and the
    stopping rule closes the object earlier, the larger of the two."""
    if wanted is None:
        return job.workers_per_object
    if adaptive.rule_of(job) is None:
        return wanted
    return max(job.workers_per_object, wanted)


def _after_answer(
    dep: Deployment, job: JobRecord, object_id: int, answers: int, wanted: int | None, state: str
) -> None:
    """Adaptive workers per object: an object with every answer it was wanted for is judged
    now (after the answer is committed: a failed decision loses no answer, and the runner
    decides it again)."""
    adaptive.note_answer(dep, job.id)
    if not adaptive.needs_decision(job, answers, wanted, state):
        return
    if job.task_type == "custom":
        # Its judge is the post-annotation hook, a subprocess or an HTTP call of up to the
        # hook's time limit: never in the request (on SQLite it would hold the event loop).
        # The background runner decides the object within a pass (its undecided check).
        dep.wake.set()
        return
    try:
        adaptive.decide_object(dep, job.id, object_id)
    except Exception:
        # The answer is stored: the worker hears so, and the runner takes the decision later.
        log.exception("judging object %s of job %s failed", object_id, job.id)


def _checked_answer(conn: Connection, job: JobRecord, object_id: int | None, answer: Any) -> Any:
    """The answer as the task type stores it (raises Invalid). Task types that check an answer
    against the object itself (NER: offsets inside the text) get its manifest line."""
    kind = task_type(job.task_type)
    for_object = getattr(kind, "validate_answer_for_object", None)
    if for_object is None:
        return kind.validate_answer(job.spec, answer)
    line = conn.scalar(
        select(DataObject.line).where(
            DataObject.job_id == job.id, DataObject.object_id == object_id
        )
    )
    return for_object(job.spec, answer, json.loads(line or "{}"))


def _task_job(
    dep: Deployment, conn: Connection, user: UserInfo, task_id: int, now: datetime
) -> int:
    """The job of a task of this worker's (remembered from the lease when this process made it)."""
    owner = cast("tuple[int, int] | None", dep.task_owners.get(str(task_id), now))
    if owner is None:
        row = conn.execute(select(Task.job_id, Task.user_id).where(Task.id == task_id)).first()
        owner = (int(row.job_id), int(row.user_id)) if row is not None else (0, 0)
    if owner[1] != user.id:
        raise NotFound(f"no task {task_id} for you")
    return owner[0]


def _answer_postgres(dep: Deployment, user: UserInfo, task_id: int, answer: Any) -> bool:
    """The answer as one statement (db/dispatch_postgres.py); False when the task type needs
    the object to check the answer (the portable path then takes it)."""
    now = dep.clock.now()
    with dep.db.autocommit() as conn:
        job = job_record(dep, conn, job_id=_task_job(dep, conn, user, task_id, now))
        assert job is not None
        kind = task_type(job.task_type)
        if getattr(kind, "validate_answer_for_object", None) is not None:
            return False
        content = kind.validate_answer(job.spec, answer)
        entry = audit_values(dep, "task.answered", **_audited(user, job.name, None, task_id))
        row = dispatch_postgres.answer(
            conn,
            task_id,
            job.id,
            user.id,
            job.workers_per_object,
            adaptive.rule_of(job) is not None,
            json.dumps(content),
            kind.answer_code(job.spec, content),
            now,
            entry,
        )
    if row is None or not row.stored:
        _check_answerable(row, user, task_id, now)
        raise Gone(f"the labeling job is {row.job_status}; the answer was not stored")
    if row.closed:
        dep.wake.set()
    if row.answers is not None:
        _after_answer(dep, job, int(row.object_id), int(row.answers), row.wanted, row.object_state)
    return True


def close_object(
    conn: Connection,
    job_id: int,
    object_id: int,
    state: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> None:
    """Takes an open object out of circulation (answered for consolidation, or failed at
    `now`)."""
    params = {
        "p_job": job_id,
        "p_object": object_id,
        "p_state": state,
        "p_reason": reason,
        "p_failed_at": now if state == "failed" else None,
    }
    run(conn, q.close_object, params)
    run(conn, q.release_room, params)


def _audited(user: UserInfo, job: str, object_id: int | None, task_id: int) -> dict[str, Any]:
    return {
        "actor": user.email,
        "actor_id": user.id,
        "job": job,
        "object_id": object_id,
        "detail": {"task": task_id},
    }


def _give_back(dep: Deployment, user: UserInfo, task_id: int, status: str) -> None:
    now = dep.clock.now()
    with dep.db.write() as conn:
        task = _own_leased_task(conn, dep, user, task_id)
        conn.execute(update(Task).where(Task.id == task.id).values(status=status, ended_at=now))
        job = job_record(dep, conn, job_id=task.job_id)
        audit.record(
            conn,
            dep,
            f"task.{status}",
            **_audited(user, job.name if job else "", task.object_id, task.id),
        )
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
            close_object(conn, task.job_id, task.object_id, state, reason, now)
            dep.wake.set()


def decline(dep: Deployment, user: UserInfo, task_id: int) -> None:
    """The worker says something is wrong with the object; they will not get it again."""
    _give_back(dep, user, task_id, "declined")


def release(dep: Deployment, user: UserInfo, task_id: int) -> None:
    """The worker gives the task back for someone else; their work on it is lost."""
    _give_back(dep, user, task_id, "released")
