"""The background runner's pass over a flow's job: loops asked to stop end, loops past their
availability lifetime end, answered loops get their output.json and become Completed. Never ends the job: a flow takes
new loops for as long as it exists."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, exists, select, update

from truthset.background.labeling import load_answers
from truthset.db.tables import Annotation, DataObject, FlowDefinition, HumanLoop, Task, User
from truthset.deployment import Deployment
from truthset.dispatch import close_object, expire_leases
from truthset.errors import StorageError
from truthset.review.flows import flow_arn
from truthset.review.results import flow_estimates, output_document, output_uri
from truthset.tasktypes.base import WorkerAnswer
from truthset.tasktypes.custom import answer_code

BATCH = 200
OUTPUT_ATTEMPTS = 3
log = logging.getLogger(__name__)
# The flow's most recent answers that worker reliability is learned from.
HISTORY = 20_000
_WAITING = ("queued", "open")
NO_ANSWERS = "no worker answered within the task availability lifetime"
STOPPED = "the human loop was stopped"
# Objects of a Stopping loop that end Stopped: a loop whose answers were all in before the
# runner got to it completes instead, as A2I keeps the results of tasks finished while stopping.
_STOPPABLE = ("queued", "open", "failed", "skipped")


def _flow(conn: Connection, job_id: int) -> Any:
    return conn.execute(
        select(FlowDefinition.__table__).where(FlowDefinition.job_id == job_id)
    ).first()


def _lapsed_loops(flow_id: int, job: Any, now: datetime) -> Any:
    """Loops in progress whose object still waits for workers after the availability lifetime,
    counted from the loop's start (A2I's rule), whether or not anyone took it yet."""
    cutoff = now - timedelta(seconds=job.task_availability)
    return (
        select(HumanLoop.id, HumanLoop.object_id, DataObject.state, DataObject.answers)
        .join(
            DataObject,
            (DataObject.job_id == job.id) & (DataObject.object_id == HumanLoop.object_id),
        )
        .where(
            HumanLoop.flow_id == flow_id,
            HumanLoop.status == "InProgress",
            HumanLoop.created_at <= cutoff,
            DataObject.state.in_(_WAITING),
        )
    )


def _failed_objects(flow_id: int, job_id: int) -> Any:
    """Loops in progress whose object dispatch closed as failed (every worker declined it, or
    its media cannot be read): the loop fails with the object's reason."""
    return (
        select(HumanLoop.id, DataObject.failure_reason)
        .join(
            DataObject,
            (DataObject.job_id == job_id) & (DataObject.object_id == HumanLoop.object_id),
        )
        .where(
            HumanLoop.flow_id == flow_id,
            HumanLoop.status == "InProgress",
            DataObject.state == "failed",
        )
    )


def _stopping_loops(flow_id: int, job_id: int) -> Any:
    """Loops StopHumanLoop asked to stop, whose object still waits for (or is with) workers."""
    return (
        select(HumanLoop.id, HumanLoop.object_id, DataObject.state)
        .join(
            DataObject,
            (DataObject.job_id == job_id) & (DataObject.object_id == HumanLoop.object_id),
        )
        .where(
            HumanLoop.flow_id == flow_id,
            HumanLoop.status == "Stopping",
            DataObject.state.in_(_STOPPABLE),
        )
    )


def needs_work(dep: Deployment, job: Any, now: datetime) -> bool:
    with dep.db.read() as conn:
        flow = _flow(conn, job.id)
        if flow is None:
            return False
        objects = DataObject.job_id == job.id
        checks = [
            exists().where(objects, DataObject.state == "answered"),
            exists().where(Task.job_id == job.id, Task.status == "leased", Task.expires_at <= now),
            exists(_lapsed_loops(flow.id, job, now)),
            exists(_failed_objects(flow.id, job.id)),
            exists(_stopping_loops(flow.id, job.id)),
        ]
        return any(conn.scalar(select(check)) for check in checks)


def step(dep: Deployment, job: Any) -> None:
    now = dep.clock.now()
    with dep.db.write() as conn:
        flow = _flow(conn, job.id)
        if flow is None:
            return
        expire_leases(conn, now, job.id)
        _end_stopping(conn, flow.id, job.id, now)
        _end_lapsed(conn, flow.id, job, now)
        for loop_id, reason in conn.execute(_failed_objects(flow.id, job.id)).all():
            conn.execute(
                update(HumanLoop)
                .where(HumanLoop.id == loop_id)
                .values(status="Failed", failure_reason=reason or "failed", ended_at=now)
            )
    while _complete_batch(dep, job, flow):
        pass


def _end_stopping(conn: Connection, flow_id: int, job_id: int, now: datetime) -> None:
    """Stopping loops end: their leases end (a late answer gets 410, its media URLs stop
    working), their object leaves circulation, and the loop is Stopped."""
    for loop_id, object_id, state in conn.execute(_stopping_loops(flow_id, job_id)).all():
        conn.execute(
            update(Task)
            .where(Task.job_id == job_id, Task.object_id == object_id, Task.status == "leased")
            .values(status="expired", ended_at=now)
        )
        if state == "open":
            close_object(conn, job_id, object_id, "skipped", STOPPED)
        conn.execute(
            update(DataObject)
            .where(
                DataObject.job_id == job_id,
                DataObject.object_id == object_id,
                DataObject.state.in_(("queued", "open")),
            )
            .values(state="skipped", leased=0, failure_reason=STOPPED)
        )
        conn.execute(
            update(HumanLoop)
            .where(HumanLoop.id == loop_id, HumanLoop.status == "Stopping")
            .values(status="Stopped", ended_at=now)
        )


def _end_lapsed(conn: Connection, flow_id: int, job: Any, now: datetime) -> None:
    """Lapsed loops close with the answers they have (then complete), or fail without any."""
    for loop_id, object_id, state, answers in conn.execute(_lapsed_loops(flow_id, job, now)).all():
        conn.execute(
            update(Task)
            .where(Task.job_id == job.id, Task.object_id == object_id, Task.status == "leased")
            .values(status="expired", ended_at=now)
        )
        closed = "answered" if answers else "failed"
        reason = None if answers else NO_ANSWERS
        if state == "open":
            close_object(conn, job.id, object_id, closed, reason, now)
        conn.execute(
            update(DataObject)
            .where(DataObject.job_id == job.id, DataObject.object_id == object_id)
            .values(
                state=closed,
                leased=0,
                failure_reason=reason,
                failed_at=None if answers else now,
            )
        )
        if not answers:
            conn.execute(
                update(HumanLoop)
                .where(HumanLoop.id == loop_id)
                .values(status="Failed", failure_reason=NO_ANSWERS, ended_at=now)
            )


def _complete_batch(dep: Deployment, job: Any, flow: Any) -> bool:
    """Writes output.json for a batch of answered loops, then marks them Completed. A crash in
    between writes the same file again on the next pass (its place depends only on the loop)."""
    with dep.db.read() as conn:
        rows = conn.execute(
            select(
                HumanLoop.id,
                HumanLoop.name,
                HumanLoop.created_at,
                DataObject.object_id,
                DataObject.line,
            )
            .join(
                HumanLoop,
                (HumanLoop.flow_id == flow.id) & (HumanLoop.object_id == DataObject.object_id),
            )
            .where(DataObject.job_id == job.id, DataObject.state == "answered")
            .order_by(DataObject.priority, DataObject.object_id)
            .limit(BATCH)
        ).all()
        if not rows:
            return False
        answers = load_answers(conn, job.id, [r.object_id for r in rows])
        estimates = _estimates(conn, job, answers)
    arn = flow_arn(dep.settings, flow.name)
    done, failed = [], []
    for row in rows:
        given = answers.get(row.object_id, [])
        document = output_document(
            dep, arn, row.name, json.loads(row.line), given, estimates.get(row.object_id)
        )
        uri = output_uri(flow.output_path, flow.name, row.created_at, row.name)
        try:
            dep.storage.write_bytes(uri, json.dumps(document, ensure_ascii=False).encode())
        except StorageError as error:
            log.warning("human loop %s: output not written: %s", row.name, error.message)
            failed.append((row, error.message))
            continue
        done.append((row, uri, document))
    now = dep.clock.now()
    with dep.db.write() as conn:
        for row, uri, document in done:
            _store(conn, job, row, uri, document, now)
        for row, message in failed:
            _count_failure(conn, job, row, message, now)
    return len(rows) == BATCH and not failed


def _count_failure(conn: Connection, job: Any, row: Any, message: str, now: datetime) -> None:
    """A loop whose output cannot be written is tried again on the next passes, then fails
    with the reason (the counter is the one hooks use for their bounded retries)."""
    attempts = conn.execute(
        update(DataObject)
        .where(DataObject.job_id == job.id, DataObject.object_id == row.object_id)
        .values(hook_attempts=DataObject.hook_attempts + 1)
        .returning(DataObject.hook_attempts)
    ).scalar_one()
    if attempts < OUTPUT_ATTEMPTS:
        return
    reason = f"output not written: {message}"[:1024]
    conn.execute(
        update(DataObject)
        .where(DataObject.job_id == job.id, DataObject.object_id == row.object_id)
        .values(state="failed", failure_reason=reason, failed_at=now)
    )
    conn.execute(
        update(HumanLoop)
        .where(HumanLoop.id == row.id, HumanLoop.status == "InProgress")
        .values(status="Failed", failure_reason=reason, ended_at=now)
    )


def _estimates(
    conn: Connection, job: Any, answers: dict[int, list[WorkerAnswer]]
) -> dict[int, tuple[str, float]]:
    """Dawid-Skene's choices for the batch, learned over the flow's recent answers (with one
    worker per loop there is no overlap to learn reliability from)."""
    if job.workers_per_object < 2:
        return {}
    recent = conn.execute(
        select(Annotation.object_id, User.worker_id, Annotation.code)
        .join(User, User.id == Annotation.user_id)
        .where(Annotation.job_id == job.id, Annotation.code.is_not(None))
        .order_by(Annotation.id.desc())
        .limit(HISTORY)
    ).all()
    history = {(int(o), str(w)): str(c) for o, w, c in recent}
    for object_id, given in answers.items():
        for answer in given:
            history[(object_id, answer.worker_id)] = answer_code(answer.content)
    return flow_estimates([(o, w, c) for (o, w), c in history.items()], set(answers))


def _store(
    conn: Connection, job: Any, row: Any, uri: str, document: dict[str, Any], now: datetime
) -> None:
    # The label is the consolidated answer when there is one, so worker quality can compare
    # each worker's answers with it; otherwise every answer, as a PassThrough job keeps them.
    consensus = document.get("consolidatedAnswer")
    value = consensus["answerContent"] if consensus else {"humanAnswers": document["humanAnswers"]}
    metadata = {
        "type": "groundtruth/custom",
        "job-name": f"labeling-job/{job.name}",
        "human-annotated": "yes",
        "creation-date": now.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "confidence": consensus["confidence"] if consensus else None,
    }
    label = {job.label_attribute_name: value, f"{job.label_attribute_name}-metadata": metadata}
    conn.execute(
        update(DataObject)
        .where(
            DataObject.job_id == job.id,
            DataObject.object_id == row.object_id,
            DataObject.state == "answered",
        )
        .values(state="labeled", label=json.dumps(label, ensure_ascii=False), labeled_at=now)
    )
    conn.execute(
        update(HumanLoop)
        .where(HumanLoop.id == row.id, HumanLoop.status.in_(("InProgress", "Stopping")))
        .values(status="Completed", output_uri=uri, ended_at=now)
    )
