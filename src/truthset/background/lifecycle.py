"""One pass of work on one job: the steps that move it through its lifecycle."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, exists, func, select, update

from truthset import output
from truthset.db.tables import Annotation, DataObject, Job, Task, User
from truthset.deployment import Deployment
from truthset.dispatch import close_object, expire_leases
from truthset.errors import StorageError
from truthset.jobs import import_objects, job_spec
from truthset.storage.base import join
from truthset.tasktypes.base import ConsolidationContext, ObjectAnswers, ObjectLabel, WorkerAnswer
from truthset.tasktypes.registry import task_type

log = logging.getLogger(__name__)
CONSOLIDATION_BATCH = 500


def needs_work(dep: Deployment, job_id: int, now: datetime) -> bool:
    """Whether a pass over the job would change anything (read-only, cheap: it runs often)."""
    with dep.db.read() as conn:
        job = conn.execute(select(Job.__table__).where(Job.id == job_id)).one()
        if job.status != "InProgress" or job.label_version > job.written_version:
            return True
        cutoff = now - timedelta(seconds=job.task_availability)
        objects = DataObject.job_id == job_id
        checks = [
            exists().where(objects, DataObject.state == "answered"),
            exists().where(objects, DataObject.state == "open", DataObject.opened_at <= cutoff),
            exists().where(Task.job_id == job_id, Task.status == "leased", Task.expires_at <= now),
            ~exists().where(objects, DataObject.state.in_(("queued", "open", "answered"))),
        ]
        return any(conn.scalar(select(check)) for check in checks)


def step_job(dep: Deployment, job_id: int, owner: str, last_output: dict[int, datetime]) -> None:
    """Does whatever the job needs now. Safe to repeat; the caller holds the job's runner lease."""
    with dep.db.read() as conn:
        job = conn.execute(select(Job.__table__).where(Job.id == job_id)).one()
    if job.status == "Initializing":
        import_objects(dep, job_id, owner)
        return
    now = dep.clock.now()
    with dep.db.write() as conn:
        expire_leases(conn, now, job_id)
        if job.status == "InProgress":
            _expire_availability(conn, job, now)
        else:
            _wind_down(conn, job, now)
    while _consolidate_some(dep, job):
        pass
    _finish_or_write(dep, job_id, last_output)


def _expire_availability(conn: Connection, job: Any, now: datetime) -> None:
    """Objects out longer than the task availability close with the answers they have."""
    cutoff = now - timedelta(seconds=job.task_availability)
    rows = conn.execute(
        select(DataObject.object_id, DataObject.answers).where(
            DataObject.job_id == job.id, DataObject.state == "open", DataObject.opened_at <= cutoff
        )
    ).all()
    for object_id, answers in rows:
        _end_object_leases(conn, job.id, object_id, now)
        if answers:
            close_object(conn, job.id, object_id, "answered")
        else:
            close_object(
                conn,
                job.id,
                object_id,
                "failed",
                "no worker answered within the task availability lifetime",
            )


def _end_object_leases(conn: Connection, job_id: int, object_id: int, now: datetime) -> None:
    conn.execute(
        update(Task)
        .where(Task.job_id == job_id, Task.object_id == object_id, Task.status == "leased")
        .values(status="expired", ended_at=now)
    )
    conn.execute(
        update(DataObject)
        .where(DataObject.job_id == job_id, DataObject.object_id == object_id)
        .values(leased=0)
    )


def _wind_down(conn: Connection, job: Any, now: datetime) -> None:
    """A stopping job: end every lease; objects with answers are consolidated, the rest stay unlabeled."""
    conn.execute(
        update(Task)
        .where(Task.job_id == job.id, Task.status == "leased")
        .values(status="expired", ended_at=now)
    )
    conn.execute(
        update(DataObject)
        .where(DataObject.job_id == job.id, DataObject.state == "open", DataObject.answers > 0)
        .values(state="answered", leased=0)
    )
    conn.execute(
        update(DataObject)
        .where(DataObject.job_id == job.id, DataObject.state == "open")
        .values(state="queued", leased=0, opened_at=None)
    )
    conn.execute(update(Job).where(Job.id == job.id).values(open_count=0))


def load_answers(
    conn: Connection, job_id: int, object_ids: list[int]
) -> dict[int, list[WorkerAnswer]]:
    rows = conn.execute(
        select(
            Annotation.object_id,
            User.worker_id,
            Annotation.user_id,
            Annotation.content,
            Annotation.accepted_at,
            Annotation.submitted_at,
        )
        .join(User, User.id == Annotation.user_id)
        .where(Annotation.job_id == job_id, Annotation.object_id.in_(object_ids))
        .order_by(Annotation.object_id, Annotation.submitted_at, Annotation.id)
    ).all()
    answers: dict[int, list[WorkerAnswer]] = {}
    for object_id, worker_id, user_id, content, accepted, submitted in rows:
        answers.setdefault(object_id, []).append(
            WorkerAnswer(worker_id, user_id, json.loads(content), accepted, submitted)
        )
    return answers


def _consolidate_some(dep: Deployment, job: Any) -> bool:
    """Consolidates a batch of answered objects; returns whether there may be more."""
    with dep.db.read() as conn:
        rows = conn.execute(
            select(DataObject.object_id, DataObject.line)
            .where(DataObject.job_id == job.id, DataObject.state == "answered")
            .order_by(DataObject.object_id)
            .limit(CONSOLIDATION_BATCH)
        ).all()
        if not rows:
            return False
        answers = load_answers(conn, job.id, [r.object_id for r in rows])
    objects = [
        ObjectAnswers(r.object_id, json.loads(r.line), answers[r.object_id])
        for r in rows
        if r.object_id in answers
    ]
    unanswered = [r.object_id for r in rows if r.object_id not in answers]
    now = dep.clock.now()
    labels = task_type(job.task_type).consolidate(
        job_spec(job), objects, consolidation_context(dep, job, now)
    )
    output.write_worker_responses(dep, job, objects, now)
    output.write_consolidation_batch(dep, job, objects, labels, now)
    with dep.db.write() as conn:
        store_labels(conn, job.id, labels, now)
        if unanswered:
            conn.execute(
                update(DataObject)
                .where(DataObject.job_id == job.id, DataObject.object_id.in_(unanswered))
                .values(state="failed", failure_reason="no answers")
            )
        conn.execute(
            update(Job).where(Job.id == job.id).values(label_version=Job.label_version + 1)
        )
    return len(rows) == CONSOLIDATION_BATCH


def consolidation_context(dep: Deployment, job: Any, now: datetime) -> ConsolidationContext:
    folder = output.job_folder(job)

    def write_file(path: str, data: bytes) -> str:
        uri = join(folder, path)
        dep.storage.write_bytes(uri, data)
        return uri

    def job_answers() -> list[tuple[int, str, str]]:
        with dep.db.read() as conn:
            rows = conn.execute(
                select(Annotation.object_id, User.worker_id, Annotation.code)
                .join(User, User.id == Annotation.user_id)
                .join(
                    DataObject,
                    (DataObject.job_id == Annotation.job_id)
                    & (DataObject.object_id == Annotation.object_id),
                )
                .where(
                    Annotation.job_id == job.id,
                    DataObject.state.in_(("answered", "labeled", "gold")),
                )
            ).all()
        return [(int(o), str(w), str(c)) for o, w, c in rows if c is not None]

    with dep.db.read() as conn:
        gold = {
            int(object_id): json.loads(value or "null")
            for object_id, value in conn.execute(
                select(DataObject.object_id, DataObject.gold).where(
                    DataObject.job_id == job.id, DataObject.gold.is_not(None)
                )
            )
        }
    return ConsolidationContext(now=now, write_file=write_file, job_answers=job_answers, gold=gold)


_STORE_LABEL = (
    update(DataObject)
    .where(DataObject.job_id == bindparam("p_job"), DataObject.object_id == bindparam("p_object"))
    .values(
        state=bindparam("p_state"),
        label=bindparam("p_label"),
        machine_labeled=bindparam("p_machine"),
        labeled_at=bindparam("p_now"),
    )
)


def store_labels(conn: Connection, job_id: int, labels: list[ObjectLabel], now: datetime) -> None:
    """Writes consolidated labels in one executemany (short write transactions keep dispatch fast)."""
    if not labels:
        return
    conn.execute(
        _STORE_LABEL,
        [
            {
                "p_job": job_id,
                "p_object": label.object_id,
                "p_state": "autolabeled" if label.machine else "labeled",
                "p_label": json.dumps(label.content, ensure_ascii=False),
                "p_machine": label.machine,
                "p_now": now,
            }
            for label in labels
        ],
    )


def _finish_or_write(dep: Deployment, job_id: int, last_output: dict[int, datetime]) -> None:
    with dep.db.read() as conn:
        job = conn.execute(select(Job.__table__).where(Job.id == job_id)).one()
        left = conn.scalar(
            select(func.count()).where(
                DataObject.job_id == job_id, DataObject.state.in_(("queued", "open", "answered"))
            )
        )
    now = dep.clock.now()
    ending = (job.status == "InProgress" and not left) or job.status == "Stopping"
    due = now - last_output.get(job_id, datetime.min) >= timedelta(
        seconds=dep.settings.output_interval
    )
    if ending or (job.label_version > job.written_version and due):
        try:
            output.write_manifest(dep, job)
        except StorageError as error:
            _note_failure(dep, job_id, f"output not written: {error.message}")
            return
        last_output[job_id] = now
    values: dict[str, Any] = {"written_version": job.label_version}
    if ending:
        values.update(
            status="Completed" if job.status == "InProgress" else "Stopped",
            ended_at=now,
            updated_at=now,
        )
    with dep.db.write() as conn:
        conn.execute(update(Job).where(Job.id == job_id, Job.status == job.status).values(**values))


def _note_failure(dep: Deployment, job_id: int, reason: str) -> None:
    log.warning("job %s: %s", job_id, reason)
    with dep.db.write() as conn:
        conn.execute(update(Job).where(Job.id == job_id).values(failure_reason=reason[:1024]))
