"""Handing out tasks and taking answers.

Leasing a task is one transaction: on SQLite writers are serialised (BEGIN IMMEDIATE); on
PostgreSQL candidate objects are locked with FOR UPDATE SKIP LOCKED and every counter update
re-checks its condition. Invariants: an object never has more than N answers, a worker never
gets the same object twice (also a unique constraint), at most max_concurrent_tasks objects are
out with workers at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, and_, exists, func, select, update

from truthset import adaptive, audit
from truthset.audit.trail import values as audit_values
from truthset.db import dispatch_postgres
from truthset.db import dispatch_queries as q
from truthset.db.tables import DataObject, Job, Task
from truthset.deployment import Deployment
from truthset.errors import Gone, NotFound, NotReady
from truthset.jobs import JobRecord, job_record
from truthset.operations.metrics import ANSWERS, LEASES
from truthset.tasktypes.registry import task_type
from truthset.workforce import UserInfo, cached_team_ids, team_ids_of

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class WorkerJob:
    name: str
    title: str
    description: str
    task_type: str
    remaining: int  # objects this worker could still be given, up to REMAINING_CAP
    task_time_limit: int


def _member_job(dep: Deployment, conn: Connection, user: UserInfo, job_name: str) -> JobRecord:
    record = job_record(dep, conn, name=job_name)
    if record is None or record.team_id not in cached_team_ids(dep, conn, user.id):
        # Same answer for "no such job" and "not your team's job": workers learn nothing.
        raise NotFound(f"no labeling job named {job_name!r} for you")
    return record


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
            LEASES.inc()
        return leased
    return None


def _lease_next(dep: Deployment, user: UserInfo, job_name: str) -> LeasedTask | None:
    now = dep.clock.now()
    if not dep.db.is_sqlite:
        with dep.db.autocommit() as conn:
            job = _member_job(dep, conn, user, job_name)
            if not _has_gold(dep, conn, job):
                return _lease_postgres(dep, conn, job, user, now)
    with dep.db.write() as conn:
        job = _member_job(dep, conn, user, job_name)
        state = conn.execute(q.job_state, {"p_job": job.id}).one()
        if state.status != "InProgress":
            _not_in_progress(state.status)
            return None
        _sweep_lapsed(dep, conn, job.id, now)
        active = conn.execute(
            q.active_leases, {"p_job": job.id, "p_user": user.id, "p_now": now}
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
        task_id = conn.execute(
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
        if opened and conn.execute(q.reserve_room, params).rowcount != 1:
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
    if dep.throttle.due(("expire", job_id), now, 1.0):
        expire_leases(conn, now, job_id)


def _has_gold(dep: Deployment, conn: Connection, job: JobRecord) -> bool:
    has_gold = dep.job_records.get(("gold", job.id))
    if has_gold is None:
        has_gold = dep.job_records[("gold", job.id)] = bool(
            conn.scalar(q.has_gold, {"p_job": job.id})
        )
    return bool(has_gold)


def _lease_postgres(
    dep: Deployment, conn: Connection, job: JobRecord, user: UserInfo, now: datetime
) -> LeasedTask | None:
    """The lease as one statement (db/dispatch_postgres.py), for jobs without gold questions."""
    if dep.throttle.due(("expire", job.id), now, 1.0):
        with dep.db.write() as sweep:
            expire_leases(sweep, now, job.id)
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
    row = conn.execute(q.open_candidate[dialect], params).first()
    if row is None:
        return None
    taken = conn.execute(q.take_lease, {**params, "p_object": row.object_id})
    return (int(row.object_id), row.line) if taken.rowcount == 1 else None


def _open_next_object(
    conn: Connection, dialect: str, params: dict[str, Any]
) -> tuple[int, str] | None:
    """Sends the next queued object out (the caller checked the window has room and takes the
    place in it last)."""
    row = conn.execute(q.queued_candidate[dialect], params).first()
    if row is None:
        return None
    conn.execute(q.open_object, {**params, "p_object": row.object_id})
    return int(row.object_id), row.line


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
    dialect = "sqlite" if dep.db.is_sqlite else "postgresql"
    task = conn.execute(q.task_for_answer[dialect], {"p_task": task_id}).first()
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


def submit_answer(dep: Deployment, user: UserInfo, task_id: int, answer: Any) -> None:
    """Stores a worker's answer; returns only after it is committed."""
    if not dep.db.is_sqlite and _answer_postgres(dep, user, task_id, answer):
        ANSWERS.inc()
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
        conn.execute(
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
        conn.execute(q.end_task, {"p_task": task.id, "p_status": "submitted", "p_now": now})
        audit.record(
            conn, dep, "task.answered", **_audited(user, job.name, task.object_id, task.id)
        )
        counted = conn.execute(
            q.count_answer, {"p_job": task.job_id, "p_object": task.object_id}
        ).one()
        if counted.answers >= job.workers_per_object and counted.state == "open":
            close_object(conn, task.job_id, task.object_id, "answered")
            closed = True
    ANSWERS.inc()
    if closed:
        dep.wake.set()
    _after_answer(dep, job, task.object_id, counted.answers, counted.wanted, counted.state)


def _after_answer(
    dep: Deployment, job: JobRecord, object_id: int, answers: int, wanted: int | None, state: str
) -> None:
    """Adaptive workers per object: an object with every answer it was wanted for is judged
    now (after the answer is committed: a failed decision loses no answer, and the runner
    decides it again)."""
    adaptive.note_answer(dep, job.id)
    if not adaptive.needs_decision(job, answers, wanted, state):
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
    conn: Connection, job_id: int, object_id: int, state: str, reason: str | None = None
) -> None:
    """Takes an open object out of circulation (answered for consolidation, or failed)."""
    conn.execute(
        update(DataObject)
        .where(DataObject.job_id == job_id, DataObject.object_id == object_id)
        .values(state=state, failure_reason=reason)
    )
    conn.execute(update(Job).where(Job.id == job_id).values(open_count=Job.open_count - 1))


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
            close_object(conn, task.job_id, task.object_id, state, reason)
            dep.wake.set()


def decline(dep: Deployment, user: UserInfo, task_id: int) -> None:
    """The worker says something is wrong with the object; they will not get it again."""
    _give_back(dep, user, task_id, "declined")


def release(dep: Deployment, user: UserInfo, task_id: int) -> None:
    """The worker gives the task back for someone else; their work on it is lost."""
    _give_back(dep, user, task_id, "released")


def end_worker_leases(
    conn: Connection, now: datetime, user_id: int, team_id: int | None = None
) -> int:
    """Ends the worker's leased tasks (all of them, or those of one team's jobs) when they are
    disabled or leave the team: the tasks become `released`, their objects go back to the team,
    a later answer gets 410 and the tasks' media URLs stop working."""
    condition = and_(Task.user_id == user_id, Task.status == "leased")
    if team_id is not None:
        condition = and_(condition, Task.job_id.in_(select(Job.id).where(Job.team_id == team_id)))
    ended = conn.execute(
        update(Task)
        .where(condition)
        .values(status="released", ended_at=now)
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
