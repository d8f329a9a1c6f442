"""Adaptive workers per object in a running job: after each answer, done or one more worker.

A job with the `adaptive` option offers each object to `min_workers_per_object` workers (the
object's `wanted` count). When an object has as many answers as it is wanted for, its answers
are judged by the stopping rule (``truthset.consolidation.adaptive``) under the job's current
worker model: done closes it for consolidation, otherwise it is wanted for one more answer, up
to the job's workers per object. Closed objects stay closed. A custom job's objects are judged
by its post-annotation hook instead (``truthset.adaptive_custom``).

The worker model is the job's ``bayes_ds`` fit on every answer so far (gold questions anchor
it), kept per process and re-fitted, in a thread of its own, when the answers this process has
taken since the last fit reach 30% of those it was fitted on: the cost of a fit stays a fixed
share of the answers, and no request waits for one.

Invariants (tests/domain/test_adaptive_dispatch.py): never more answers than the job's workers
per object (the answer statement closes the object at that count whatever the rule says), never
the same worker twice (the lease's rule and the tasks' unique constraint), no answer lost (an
object whose decision was interrupted is decided again by the background runner).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, update

from truthset.adaptive_custom import hook_confidence
from truthset.consolidation import consolidate, encode_answers, encode_gold
from truthset.consolidation.adaptive import StoppingRule, WorkerModel, decide, model_from_result
from truthset.consolidation.adaptive import prior_model as _prior_model
from truthset.consolidation.multilabel import BINARY, MultiLabelResult, consolidate_multilabel
from truthset.consolidation.result import Result
from truthset.db.tables import Annotation, DataObject, Job, User
from truthset.deployment import Deployment
from truthset.jobs import JobRecord, job_record

REFIT_SHARE = 0.3  # re-fit when the answers taken since the last fit reach this share ...
REFIT_MIN = 20  # ... and at least this many
SWEEP_BATCH = 500
# Guards the per-process worker models (dep.job_records) and their fitting flags.
_MODELS = threading.Lock()
log = logging.getLogger(__name__)


def rule_of(job: JobRecord) -> StoppingRule | None:
    """The job's stopping rule, or None for a job with a fixed number of workers."""
    options = job.spec.options.get("adaptive")
    if not options:
        return None
    return StoppingRule(
        target=float(options.get("target_confidence", 0.95)),
        min_answers=int(options.get("min_workers_per_object", 2)),
        max_answers=job.workers_per_object,
    )


def initial_want(job: JobRecord) -> int:
    """How many answers a newly opened object is offered for."""
    rule = rule_of(job)
    return job.workers_per_object if rule is None else rule.min_answers


# Multi-label jobs are consolidated one class at a time ("chosen or not", as Ground Truth does):
# one worker model per class, and an object is done when every class is.
MULTI_LABEL = ("image-classification-multilabel", "text-classification-multilabel")


@dataclass
class _Fitted:
    model: list[WorkerModel]  # one per class for multi-label jobs, else one
    fitted_on: int  # answers the model was fitted on
    since: int  # answers this process took since
    fitting: bool  # a fit is under way


def job_result(conn: Connection, job: JobRecord) -> Result | None:
    """``bayes_ds`` on every answer of the job so far (gold questions anchor it); None before
    the first answer."""
    rows = conn.execute(
        select(Annotation.object_id, User.worker_id, Annotation.code)
        .join(User, User.id == Annotation.user_id)
        .where(Annotation.job_id == job.id, Annotation.code.is_not(None))
    ).all()
    if not rows:
        return None
    classes = list(range(len(job.spec.labels)))
    answers = encode_answers(
        [r.object_id for r in rows],
        [r.worker_id for r in rows],
        [int(r.code) for r in rows],
        classes=classes,
    )
    gold_rows = conn.execute(
        select(DataObject.object_id, DataObject.gold).where(
            DataObject.job_id == job.id, DataObject.state == "gold"
        )
    ).all()
    known = {
        int(o): job.spec.labels.index(json.loads(g))
        for o, g in gold_rows
        if g is not None and json.loads(g) in job.spec.labels and int(o) in answers.item_ids
    }
    return consolidate(answers, gold=encode_gold(answers, known) if known else None)


def _multi_label_result(conn: Connection, job: JobRecord) -> MultiLabelResult | None:
    """Per-class ``bayes_ds`` on every answer of a multi-label job so far."""
    rows = conn.execute(
        select(Annotation.object_id, User.worker_id, Annotation.code)
        .join(User, User.id == Annotation.user_id)
        .where(Annotation.job_id == job.id, Annotation.code.is_not(None))
    ).all()
    if not rows:
        return None
    return consolidate_multilabel(
        [r.object_id for r in rows],
        [r.worker_id for r in rows],
        [_chosen(r.code) for r in rows],
        classes=list(range(len(job.spec.labels))),
    )


def _chosen(code: str) -> set[int]:
    return {int(x) for x in code.split(",") if x}


def _prior(job: JobRecord) -> list[WorkerModel]:
    if job.task_type in MULTI_LABEL:
        return [_prior_model(BINARY)] * len(job.spec.labels)
    return [_prior_model(list(range(len(job.spec.labels))))]


def _fit(conn: Connection, job: JobRecord, rule: StoppingRule) -> _Fitted:
    if job.task_type in MULTI_LABEL:
        multi = _multi_label_result(conn, job)
        if multi is None:
            return _Fitted(_prior(job), 0, 0, False)
        models = [model_from_result(result, rule) for result in multi.per_class]
        return _Fitted(models, multi.per_class[0].answers.n_answers, 0, False)
    result = job_result(conn, job)
    if result is None:
        return _Fitted(_prior(job), 0, 0, False)
    return _Fitted([model_from_result(result, rule)], result.answers.n_answers, 0, False)


def worker_model(dep: Deployment, job: JobRecord, rule: StoppingRule) -> list[WorkerModel]:
    """The job's current worker model. A fresh fit runs in a thread of its own while requests
    go on with the model they have (the prior, before the first fit ends): a fit reads every
    answer of the job, which on a large job takes seconds no worker should wait for."""
    key = ("adaptive-model", job.id)
    with _MODELS:
        fitted: _Fitted | None = dep.job_records.get(key)
        if fitted is None:
            # A process that starts mid-job fits at once: ``since`` starts at the minimum.
            fitted = dep.job_records[key] = _Fitted(_prior(job), 0, REFIT_MIN, False)
        due = fitted.since >= max(REFIT_MIN, REFIT_SHARE * fitted.fitted_on)
        if due and not fitted.fitting:
            fitted.fitting = True
            threading.Thread(
                target=_refit, args=(dep, job, rule, fitted), name=f"fit-{job.id}", daemon=True
            ).start()
        return fitted.model


def _refit(dep: Deployment, job: JobRecord, rule: StoppingRule, old: _Fitted) -> None:
    try:
        with dep.db.read() as conn:
            fresh = _fit(conn, job, rule)
    except Exception:  # the next answer tries again; the old model stays meanwhile
        log.exception("fitting the worker model of job %s failed", job.id)
        with _MODELS:
            old.fitting = False
        return
    with _MODELS:
        dep.job_records[("adaptive-model", job.id)] = fresh


def note_answer(dep: Deployment, job_id: int) -> None:
    with _MODELS:
        fitted: _Fitted | None = dep.job_records.get(("adaptive-model", job_id))
        if fitted is not None:
            fitted.since += 1


def needs_decision(job: JobRecord, answers: int, wanted: int | None, state: str) -> bool:
    """After an answer: whether the object now has all the answers it was wanted for."""
    rule = rule_of(job)
    if rule is None or state != "open" or answers >= job.workers_per_object:
        return False
    return answers >= (wanted if wanted is not None else rule.min_answers)


def decide_object(dep: Deployment, job_id: int, object_id: int) -> bool:
    """Judges an object that has the answers it was wanted for: closes it (True) or wants one
    more answer. Guarded by the object's answer count, so a repeated decision changes nothing."""
    with dep.db.read() as conn:
        job = job_record(dep, conn, job_id=job_id)
        assert job is not None
        rule = rule_of(job)
        if rule is None:
            return False
        models = [] if job.task_type == "custom" else worker_model(dep, job, rule)
        rows = conn.execute(
            select(User.worker_id, Annotation.code)
            .join(User, User.id == Annotation.user_id)
            .where(Annotation.job_id == job_id, Annotation.object_id == object_id)
            .order_by(Annotation.id)  # in the order they came: the rule's urn reads it so
        ).all()
    if job.task_type == "custom":  # the post-annotation hook judges (truthset.adaptive_custom)
        confidence = hook_confidence(dep, job_id, object_id)
        finished = confidence is not None and confidence >= rule.target
    else:
        finished = _judge(job, models, [(w, c) for w, c in rows if c is not None], rule)
    with dep.db.write() as conn:
        guard = (
            (DataObject.job_id == job_id)
            & (DataObject.object_id == object_id)
            & (DataObject.state == "open")
            & (DataObject.answers == len(rows))
            & (DataObject.leased == 0)
        )
        if finished:
            closed = conn.execute(update(DataObject).where(guard).values(state="answered"))
            if closed.rowcount == 1:
                conn.execute(
                    update(Job).where(Job.id == job_id).values(open_count=Job.open_count - 1)
                )
                dep.wake.set()
                return True
            return False
        more = min(len(rows) + 1, rule.max_answers)
        conn.execute(update(DataObject).where(guard).values(wanted=more))
    return False


def _judge(
    job: JobRecord, models: list[WorkerModel], rows: list[tuple[str, str]], rule: StoppingRule
) -> bool:
    """Whether the object's answers settle it: its label, or for a multi-label job whether
    each class applies."""
    if job.task_type not in MULTI_LABEL:
        return decide(models[0], [(w, int(c)) for w, c in rows], rule).done
    return all(
        decide(model, [(w, BINARY[int(k in _chosen(c))]) for w, c in rows], rule).done
        for k, model in enumerate(models)
    )


def undecided(
    conn: Connection, job_id: int, first_want: int, limit: int = SWEEP_BATCH
) -> list[int]:
    """Open objects with every answer they were wanted for and nobody working on them: their
    decision was interrupted (a server stopped between the answer and the decision). Walks the
    job's open objects only (the state index), at most the job's window of them."""
    want = func.coalesce(DataObject.wanted, first_want)
    return list(
        conn.scalars(
            select(DataObject.object_id)
            .where(
                DataObject.job_id == job_id,
                DataObject.state == "open",
                DataObject.leased == 0,
                DataObject.answers >= want,
            )
            .order_by(DataObject.priority, DataObject.object_id)
            .limit(limit)
        )
    )


def step(dep: Deployment, job: Any) -> None:
    """Background: decides objects whose decision was interrupted."""
    with dep.db.read() as conn:
        record = job_record(dep, conn, job_id=job.id)
        assert record is not None
        rule = rule_of(record)
        if rule is None:
            return
        pending = undecided(conn, job.id, rule.min_answers)
    for object_id in pending:
        decide_object(dep, job.id, object_id)
