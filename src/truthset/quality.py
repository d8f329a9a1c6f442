"""Worker quality for a job: answers, agreement with the label, estimated and gold accuracy,
time per task, and Krippendorff's alpha for the job (issue: Ground Truth has no such report).
A model worker of a single-label job is also shown per class: how often it agrees with the
label the people's answers alone give an object (``model_agreement``)."""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select

from truthset.consolidation import consolidate, encode_answers, encode_gold, krippendorff_alpha
from truthset.consolidation.result import Result
from truthset.db.tables import Annotation, DataObject, Job, User
from truthset.deployment import Deployment
from truthset.errors import NotFound
from truthset.tasktypes.classification import SingleLabel
from truthset.tasktypes.custom import matching_codes
from truthset.tasktypes.registry import task_type


@dataclass(frozen=True)
class ClassAgreement:
    """A model worker on the objects the people's consolidated answers give one class."""

    label: str
    answers: int  # the model's answers to those objects
    agreement: float | None  # share of them that are that class


@dataclass(frozen=True)
class WorkerQuality:
    email: str
    worker_id: str
    answers: int  # answers to real (not gold) objects
    agreement: float | None  # share of answers equal to the consolidated label
    estimated_accuracy: float | None  # the consolidation model's estimate, from all answers
    gold_answers: int
    gold_accuracy: float | None  # share of gold questions answered right (mean gold-hook score)
    median_seconds: float | None
    model: bool = False  # a model worker (a hook), not a person
    per_class: list[ClassAgreement] | None = None  # model workers of single-label jobs
    # Answers to gold questions a custom job's gold hook gave no score (failed, or not yet run).
    gold_unscored: int = 0


@dataclass(frozen=True)
class JobQuality:
    job: str
    alpha: float | None  # Krippendorff's alpha (nominal) over the job's answers
    workers: list[WorkerQuality]


@dataclass(frozen=True)
class _Row:
    object_id: int
    email: str
    worker_id: str
    code: str | None
    seconds: float
    state: str
    gold: Any
    label: Any
    gold_score: float | None
    model: bool = False


def _rows(dep: Deployment, job: Any) -> list[_Row]:
    with dep.db.read() as conn:
        found = conn.execute(
            select(
                Annotation.object_id,
                User.email,
                User.worker_id,
                Annotation.code,
                Annotation.accepted_at,
                Annotation.submitted_at,
                DataObject.state,
                DataObject.gold,
                DataObject.label,
                User.model_hook.is_not(None).label("model"),
                Annotation.gold_score,
            )
            .join(User, User.id == Annotation.user_id)
            .join(
                DataObject,
                (DataObject.job_id == Annotation.job_id)
                & (DataObject.object_id == Annotation.object_id),
            )
            .where(Annotation.job_id == job.id)
        ).all()
    attr = job.label_attribute_name
    return [
        _Row(
            r.object_id,
            r.email,
            r.worker_id,
            r.code,
            (r.submitted_at - r.accepted_at).total_seconds(),
            r.state,
            json.loads(r.gold) if r.gold else None,
            json.loads(r.label).get(attr) if r.label else None,
            r.gold_score,
            bool(r.model),
        )
        for r in found
    ]


def _share(hits: list[bool] | list[float]) -> float | None:
    return sum(hits) / len(hits) if hits else None


def job_quality(dep: Deployment, name: str) -> JobQuality:
    with dep.db.read() as conn:
        job = conn.execute(select(Job.__table__).where(Job.name_key == name.lower())).first()
    if job is None:
        raise NotFound(f"no labeling job named {name!r}")
    rows = _rows(dep, job)
    kind = task_type(job.task_type)
    labels = json.loads(job.label_config)["labels"]
    names = [entry["label"] for entry in labels]
    single = isinstance(kind, SingleLabel)
    custom = kind.name == "custom"
    scored = custom and json.loads(job.options).get("gold_hook") is not None
    estimated, alpha = _model_figures(rows, names) if single and rows else ({}, None)
    per_class = model_agreement(rows, names) if single and not custom else {}
    workers = []
    for email in sorted({r.email for r in rows}):
        mine = [r for r in rows if r.email == email]
        real = [r for r in mine if r.gold is None]
        gold = [r for r in mine if r.gold is not None]
        workers.append(
            WorkerQuality(
                email=email,
                worker_id=mine[0].worker_id,
                answers=len(real),
                agreement=_share(
                    [
                        _agrees(r, single, custom)
                        for r in real
                        if r.label is not None
                        and r.code is not None
                        and (not custom or matching_codes(r.label))
                    ]
                ),
                estimated_accuracy=estimated.get(mine[0].worker_id),
                gold_answers=len(gold),
                gold_accuracy=_gold_accuracy(gold, names, single, custom, scored),
                median_seconds=statistics.median(r.seconds for r in mine) if mine else None,
                model=mine[0].model,
                per_class=per_class.get(mine[0].worker_id),
                gold_unscored=sum(1 for r in gold if r.gold_score is None) if scored else 0,
            )
        )
    return JobQuality(job.name, alpha, workers)


def model_agreement(rows: list[_Row], names: list[str]) -> dict[str, list[ClassAgreement]]:
    """Per model worker (by worker id), per class: its agreement with the labels consolidated
    from the people's answers alone. The job's own labels would not do: the model's answers
    are part of them, so a model would partly agree with itself."""
    people = [r for r in rows if not r.model and r.code is not None]
    models = [r for r in rows if r.model and r.code is not None]
    if not people or not models:
        return {}
    result = _fit(people, names)
    # Item ids are the object ids _fit encoded (ints), labels class indices.
    human = {
        int(str(item)): int(k)
        for item, k in zip(result.answers.item_ids, result.label, strict=True)
    }
    report: dict[str, list[ClassAgreement]] = {}
    for worker in sorted({r.worker_id for r in models}):
        mine = [r for r in models if r.worker_id == worker and r.object_id in human]
        report[worker] = [
            ClassAgreement(
                name,
                len(hits := [r.code == str(k) for r in mine if human[r.object_id] == k]),
                _share(hits),
            )
            for k, name in enumerate(names)
        ]
    return report


def _gold_accuracy(
    gold: list[_Row], names: list[str], single: bool, custom: bool, scored: bool
) -> float | None:
    if scored:  # the gold hook's scores; an answer it gave none is unknown, not wrong
        return _share([r.gold_score for r in gold if r.gold_score is not None])
    return _share([_right(r, names, single, custom) for r in gold if r.code is not None])


def _agrees(row: _Row, single: bool, custom: bool = False) -> bool:
    if custom:  # comparable when the post-annotation hook's label has an answer's shape
        return row.code in matching_codes(row.label)
    if single:
        return row.code == str(row.label)
    return row.code == ",".join(str(k) for k in sorted(row.label or []))


def _right(row: _Row, names: list[str], single: bool, custom: bool = False) -> bool:
    if custom:  # a custom job's gold answer is matched exactly
        return row.code in matching_codes(row.gold)
    if single:
        return row.code == str(names.index(row.gold)) if row.gold in names else False
    truth = sorted(names.index(x) for x in row.gold if x in names)
    return row.code == ",".join(str(k) for k in truth)


def _fit(rows: list[_Row], names: list[str]) -> Result:
    """The job's consolidation model over every answer: item and label ids are object ids and
    class indices."""
    usable = [r for r in rows if r.code is not None]
    answers = encode_answers(
        [r.object_id for r in usable],
        [r.worker_id for r in usable],
        [int(r.code or 0) for r in usable],
        classes=list(range(len(names))),
    )
    known = {r.object_id: names.index(r.gold) for r in usable if r.gold in names}
    return consolidate(answers, gold=encode_gold(answers, known) if known else None)


@dataclass(frozen=True)
class JobModel:
    """A single-label job's fitted model, for pictures and posteriors; None without answers."""

    names: list[str]
    result: Result | None
    emails: dict[str, str]  # worker id -> e-mail


def job_model(dep: Deployment, name: str) -> JobModel:
    with dep.db.read() as conn:
        job = conn.execute(select(Job.__table__).where(Job.name_key == name.lower())).first()
    if job is None:
        raise NotFound(f"no labeling job named {name!r}")
    names = [entry["label"] for entry in json.loads(job.label_config)["labels"]]
    if not isinstance(task_type(job.task_type), SingleLabel):
        return JobModel(names, None, {})
    rows = [r for r in _rows(dep, job) if r.code is not None]
    emails = {r.worker_id: r.email for r in rows}
    return JobModel(names, _fit(rows, names) if rows else None, emails)


def _model_figures(rows: list[_Row], names: list[str]) -> tuple[dict[str, float], float | None]:
    result = _fit(rows, names)
    answers = result.answers
    estimated = {
        str(worker): float(value)
        for worker, value in zip(answers.worker_ids, result.worker_accuracy, strict=True)
        if not np.isnan(value)
    }
    alpha = krippendorff_alpha(answers)
    return estimated, None if math.isnan(alpha) else alpha


CSV_FIELDS = (
    "email",
    "worker_id",
    "answers",
    "agreement",
    "estimated_accuracy",
    "gold_answers",
    "gold_accuracy",
    "median_seconds",
)


def quality_csv(quality: JobQuality) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for worker in quality.workers:
        values = [getattr(worker, field) for field in CSV_FIELDS]
        writer.writerow(
            ["" if v is None else (f"{v:.4f}" if isinstance(v, float) else v) for v in values]
        )
    return out.getvalue()
