"""Turning answered objects into labels: consolidation, worker-response files, stored labels."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from truthset import output
from truthset.background.model_workers import model_worker_ids
from truthset.db.tables import Annotation, DataObject, Job, User
from truthset.deployment import Deployment
from truthset.hooks.failures import record_failures
from truthset.hooks.post import PostRun, post_hook
from truthset.jobs import job_spec
from truthset.notifications import events
from truthset.storage.base import join
from truthset.tasktypes.base import ConsolidationContext, ObjectAnswers, ObjectLabel, WorkerAnswer
from truthset.tasktypes.registry import task_type

BATCH = 500
STORE_CHUNK = 200
# Joint consolidation (EM over the whole job) takes bigger batches, and a job's passes are
# spaced by ten times the last pass's duration, so a large job is not recomputed for every
# handful of new answers.
JOINT_BATCH = 10_000
_last_joint_seconds: dict[tuple[str, int], float] = {}


def consolidate_answered(dep: Deployment, job: Any, force: bool = False) -> None:
    """Consolidates every answered object of the job, batch by batch."""
    kind = task_type(job.task_type)
    if kind.joint and not force:
        spacing = max(
            1.0, 10 * _last_joint_seconds.get((dep.settings.resolved_database_url, job.id), 0.0)
        )
        if not dep.throttle.due(("joint", job.id), dep.clock.now(), spacing):
            return
    # A task type with large answers (segmentation masks) asks for smaller batches.
    size = JOINT_BATCH if kind.joint else int(getattr(kind, "consolidation_batch", BATCH))
    while _consolidate_batch(dep, job, size):
        pass


def load_answers(
    conn: Connection, job_id: int, object_ids: list[int]
) -> dict[int, list[WorkerAnswer]]:
    answers: dict[int, list[WorkerAnswer]] = {}
    for start in range(0, len(object_ids), 900):
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
            .where(
                Annotation.job_id == job_id,
                Annotation.object_id.in_(object_ids[start : start + 900]),
            )
            .order_by(Annotation.object_id, Annotation.submitted_at, Annotation.id)
        ).all()
        for object_id, worker_id, user_id, content, accepted, submitted in rows:
            answers.setdefault(object_id, []).append(
                WorkerAnswer(worker_id, user_id, json.loads(content), accepted, submitted)
            )
    return answers


def _consolidate_batch(dep: Deployment, job: Any, size: int) -> bool:
    """Consolidates one batch of answered objects; returns whether there may be more."""
    with dep.db.read() as conn:
        rows = conn.execute(
            select(DataObject.object_id, DataObject.line)
            .where(DataObject.job_id == job.id, DataObject.state == "answered")
            # The index's order: by object_id alone SQLite walks every object of the job.
            .order_by(DataObject.priority, DataObject.object_id)
            .limit(size)
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
    kind = task_type(job.task_type)
    started = time.monotonic()
    run = PostRun()
    context = replace(consolidation_context(dep, job, now), post_hook=post_hook(dep, job, now, run))
    labels = kind.consolidate(job_spec(job), objects, context)
    if kind.joint:
        _last_joint_seconds[(dep.settings.resolved_database_url, job.id)] = (
            time.monotonic() - started
        )
        labels = _new_or_changed(dep, job.id, labels, {obj.object_id for obj in objects})
    batch = {obj.object_id for obj in objects}
    models = frozenset(model_worker_ids(dep, job))
    if models:
        labels = [_machine_only(job, label, objects, models) for label in labels]
    output.write_worker_responses(dep, job, objects, now, models)
    in_batch = [label for label in labels if label.object_id in batch]
    if run.request_name is not None:  # a post-annotation hook was given the request already
        output.write_consolidation_response(dep, job, run.request_name, in_batch)
    else:
        output.write_consolidation_batch(dep, job, objects, in_batch, now)
    # Labels go in short write transactions: while the runner holds SQLite's single writer
    # lock, every worker's request waits, so a long one would show as a latency spike.
    for start in range(0, len(labels), STORE_CHUNK):
        with dep.db.write() as conn:
            store_labels(conn, dep, job.id, labels[start : start + STORE_CHUNK], now)
        time.sleep(0)  # let request threads have the interpreter between chunks
    with dep.db.write() as conn:
        if unanswered:
            conn.execute(
                update(DataObject)
                .where(DataObject.job_id == job.id, DataObject.object_id.in_(unanswered))
                .values(state="failed", failure_reason="no answers", failed_at=now)
            )
        conn.execute(
            update(Job).where(Job.id == job.id).values(label_version=Job.label_version + 1)
        )
    # Objects a hook failed on stay answered for the next pass (bounded, then failed).
    record_failures(dep, job, run.failures)
    return len(rows) == size and not run.failures


def _machine_only(
    job: Any, label: ObjectLabel, objects: list[ObjectAnswers], models: frozenset[str]
) -> ObjectLabel:
    """`human-annotated` stays "yes" only when a person answered: a label made from model
    workers' answers alone says "no", as a machine label does."""
    answers = next((o.answers for o in objects if o.object_id == label.object_id), None)
    if not answers or any(a.worker_id not in models for a in answers):
        return label
    key = f"{job.label_attribute_name}-metadata"
    meta = label.content.get(key)
    if not isinstance(meta, dict):
        return label
    return replace(label, content={**label.content, key: {**meta, "human-annotated": "no"}})


def _comparable(content: dict[str, Any]) -> str:
    # A label "changes" when its value or confidence does, not when it is merely recomputed.
    return json.dumps(
        {
            k: (
                {m: v for m, v in value.items() if m != "creation-date"}
                if isinstance(value, dict) and k.endswith("-metadata")
                else value
            )
            for k, value in content.items()
        },
        sort_keys=True,
    )


def _new_or_changed(
    dep: Deployment, job_id: int, labels: list[ObjectLabel], batch: set[int]
) -> list[ObjectLabel]:
    """Of a joint consolidation's labels: those of the batch, and earlier labels that changed.
    Objects answered but not in this batch wait for their own batch."""
    earlier = {label.object_id: label for label in labels if label.object_id not in batch}
    kept = [label for label in labels if label.object_id in batch]
    ids = list(earlier)
    with dep.db.read() as conn:
        for start in range(0, len(ids), 900):
            rows = conn.execute(
                select(DataObject.object_id, DataObject.label).where(
                    DataObject.job_id == job_id,
                    DataObject.object_id.in_(ids[start : start + 900]),
                    DataObject.state == "labeled",
                )
            ).all()
            kept.extend(
                earlier[object_id]
                for object_id, stored in rows
                if stored is None
                or _comparable(json.loads(stored)) != _comparable(earlier[object_id].content)
            )
    return kept


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
    .where(
        DataObject.job_id == bindparam("p_job"),
        DataObject.object_id == bindparam("p_object"),
        DataObject.overridden.is_(False),  # an admin's label stays
    )
    .values(
        state=bindparam("p_state"),
        label=bindparam("p_label"),
        machine_labeled=bindparam("p_machine"),
        labeled_at=bindparam("p_now"),
    )
)


def store_labels(
    conn: Connection, dep: Deployment, job_id: int, labels: list[ObjectLabel], now: datetime
) -> None:
    """Writes labels in one executemany (short write transactions keep dispatch fast); the
    job's webhook hears of each (object.labeled) from the outbox."""
    params = [
        {
            "p_job": job_id,
            "p_object": label.object_id,
            "p_state": "autolabeled" if label.machine else "labeled",
            "p_label": json.dumps(label.content, ensure_ascii=False),
            "p_machine": label.machine,
            "p_now": now,
        }
        for label in labels
    ]
    if params:
        conn.execute(_STORE_LABEL, params)
        events.objects_labeled(
            conn, dep, job_id, ((label.object_id, label.content, label.machine) for label in labels)
        )
