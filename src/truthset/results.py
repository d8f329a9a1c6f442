"""The results explorer's questions of a job: which objects are labeled what, how sure, where
workers disagree; one object's answers and posterior; an admin's override of a label.

Filters and the confidence sort run in the database (a page of a million-object job must not load
the job), reading the label JSON with each database's own JSON functions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Float, cast, func, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from truthset import audit
from truthset.db.tables import Annotation, DataObject, Job, User
from truthset.deployment import Deployment
from truthset.errors import Invalid, NotFound
from truthset.quality import job_model
from truthset.tasktypes.base import creation_date
from truthset.tasktypes.classification import SingleLabel
from truthset.tasktypes.registry import task_type

PAGE_SIZE = 48
Sort = Literal["object", "confidence", "-confidence"]


@dataclass(frozen=True)
class ObjectQuery:
    """What the grid shows; every field narrows it (None: no condition)."""

    label: str | None = None  # a class name of a classification label
    min_confidence: float | None = None
    max_confidence: float | None = None
    disagreement: bool = False  # workers gave different answers
    worker: str | None = None  # e-mail of a worker who answered
    gold: bool | None = None
    state: str | None = None
    machine: bool | None = None  # machine-labeled (True) or labeled by people (False)
    sort: Sort = "object"
    page: int = 1


@dataclass(frozen=True)
class ObjectRow:
    object_id: int
    state: str
    source: str  # the source-ref (media) or source (text) of the manifest line
    media: bool
    label: str | None  # a short text: the class name(s) or what the label holds
    confidence: float | None
    answers: int
    machine: bool
    gold: bool
    overridden: bool


@dataclass(frozen=True)
class ResultsPage:
    job: str
    task_type: str
    rows: list[ObjectRow]
    total: int
    query: ObjectQuery
    labels: list[str]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


@dataclass(frozen=True)
class WorkerAnswer:
    email: str
    worker_id: str
    content: Any
    submitted_at: datetime
    seconds: float


@dataclass(frozen=True)
class ObjectDetail:
    job: str
    task_type: str
    row: ObjectRow
    line: dict[str, Any]
    label: dict[str, Any] | None  # the label as the output manifest writes it
    answers: list[WorkerAnswer]
    posterior: dict[str, float] = field(default_factory=dict)  # class name -> probability
    labels: list[str] = field(default_factory=list)

    @property
    def can_override(self) -> bool:
        return isinstance(task_type(self.task_type), SingleLabel) and self.row.state in (
            "labeled",
            "autolabeled",
        )


def _job(conn: Any, name: str) -> Any:
    job = conn.execute(select(Job.__table__).where(Job.name_key == name.lower())).first()
    if job is None:
        raise NotFound(f"no labeling job named {name!r}")
    return job


def _meta_field(is_sqlite: bool, attr: str, key: str) -> ColumnElement[Any]:
    """`label["<attr>-metadata"][key]` as text, in the database's JSON dialect."""
    if is_sqlite:
        return func.json_extract(DataObject.label, f'$."{attr}-metadata"."{key}"')
    return func.jsonb_extract_path_text(cast(DataObject.label, JSONB), f"{attr}-metadata", key)


def _conditions(is_sqlite: bool, job: Any, query: ObjectQuery) -> list[ColumnElement[bool]]:
    attr = job.label_attribute_name
    confidence = cast(_meta_field(is_sqlite, attr, "confidence"), Float)
    where: list[ColumnElement[bool]] = [DataObject.job_id == job.id]
    if query.label is not None:
        where.append(_meta_field(is_sqlite, attr, "class-name") == query.label)
    if query.min_confidence is not None:
        where.append(confidence >= query.min_confidence)
    if query.max_confidence is not None:
        where.append(confidence <= query.max_confidence)
    if query.state is not None:
        where.append(DataObject.state == query.state)
    if query.machine is not None:
        where.append(DataObject.machine_labeled.is_(query.machine))
    if query.gold is not None:
        where.append(DataObject.gold.is_not(None) if query.gold else DataObject.gold.is_(None))
    if query.disagreement:
        split = (
            select(Annotation.object_id)
            .where(Annotation.job_id == job.id, Annotation.code.is_not(None))
            .group_by(Annotation.object_id)
            .having(func.count(func.distinct(Annotation.code)) > 1)
        )
        where.append(DataObject.object_id.in_(split))
    if query.worker is not None:
        answered = (
            select(Annotation.object_id)
            .join(User, User.id == Annotation.user_id)
            .where(Annotation.job_id == job.id, User.email == query.worker.lower())
        )
        where.append(DataObject.object_id.in_(answered))
    return where


def browse(dep: Deployment, name: str, query: ObjectQuery) -> ResultsPage:
    """One page of a job's objects that match the query."""
    if query.page < 1:
        raise Invalid("page must be 1 or more")
    with dep.db.read() as conn:
        job = _job(conn, name)
        where = _conditions(dep.db.is_sqlite, job, query)
        total = int(conn.scalar(select(func.count()).select_from(DataObject).where(*where)) or 0)
        confidence = cast(
            _meta_field(dep.db.is_sqlite, job.label_attribute_name, "confidence"), Float
        )
        order: list[ColumnElement[Any]] = {
            "object": [DataObject.object_id],
            "confidence": [confidence.asc().nulls_last(), DataObject.object_id],
            "-confidence": [confidence.desc().nulls_last(), DataObject.object_id],
        }[query.sort]  # type: ignore[assignment]
        found = conn.execute(
            select(DataObject.__table__)
            .where(*where)
            .order_by(*order)
            .limit(PAGE_SIZE)
            .offset((query.page - 1) * PAGE_SIZE)
        ).all()
    labels = [entry["label"] for entry in json.loads(job.label_config)["labels"]]
    rows = [_row(job, r) for r in found]
    return ResultsPage(job.name, job.task_type, rows, total, query, labels)


def label_summary(attr: str, label: dict[str, Any] | None) -> tuple[str | None, float | None]:
    """A short text for what a label holds, and its confidence (the mean over its parts)."""
    if label is None:
        return None, None
    meta = label.get(f"{attr}-metadata") or {}
    if "class-name" in meta:
        return str(meta["class-name"]), meta.get("confidence")
    if "confidence-map" in meta:  # multi-label classification
        names = list((meta.get("class-map") or {}).values())
        scores = list(meta["confidence-map"].values())
        return ", ".join(map(str, names)) or "none", min(scores) if scores else None
    objects = meta.get("objects")
    value = label.get(attr)
    if isinstance(objects, list):
        scores = [o["confidence"] for o in objects if isinstance(o, dict) and "confidence" in o]
        count = len(objects)
        return f"{count} shape{'s' if count != 1 else ''}", (
            sum(scores) / len(scores) if scores else None
        )
    if isinstance(value, dict) and isinstance(value.get("annotations"), list):
        count = len(value["annotations"])
        return f"{count} annotation{'s' if count != 1 else ''}", meta.get("confidence")
    return "labeled", meta.get("confidence")


def _row(job: Any, r: Any) -> ObjectRow:
    line = json.loads(r.line)
    label = json.loads(r.label) if r.label else None
    text, confidence = label_summary(job.label_attribute_name, label)
    media = "source-ref" in line
    source = str(line.get("source-ref", line.get("source", "")))
    return ObjectRow(
        object_id=r.object_id,
        state=r.state,
        source=source,
        media=media,
        label=text,
        confidence=None if confidence is None else float(confidence),
        answers=r.answers,
        machine=bool(r.machine_labeled),
        gold=r.gold is not None,
        overridden=bool(r.overridden),
    )


def object_detail(dep: Deployment, name: str, object_id: int) -> ObjectDetail:
    with dep.db.read() as conn:
        job = _job(conn, name)
        found = conn.execute(
            select(DataObject.__table__).where(
                DataObject.job_id == job.id, DataObject.object_id == object_id
            )
        ).first()
        if found is None:
            raise NotFound(f"job {job.name!r} has no data object {object_id}")
        answers = conn.execute(
            select(
                User.email,
                User.worker_id,
                Annotation.content,
                Annotation.accepted_at,
                Annotation.submitted_at,
            )
            .join(User, User.id == Annotation.user_id)
            .where(Annotation.job_id == job.id, Annotation.object_id == object_id)
            .order_by(Annotation.submitted_at)
        ).all()
    labels = [entry["label"] for entry in json.loads(job.label_config)["labels"]]
    return ObjectDetail(
        job=job.name,
        task_type=job.task_type,
        row=_row(job, found),
        line=json.loads(found.line),
        label=json.loads(found.label) if found.label else None,
        answers=[
            WorkerAnswer(
                a.email,
                a.worker_id,
                json.loads(a.content),
                a.submitted_at,
                (a.submitted_at - a.accepted_at).total_seconds(),
            )
            for a in answers
        ],
        posterior=_posterior(dep, job.name, object_id) if answers else {},
        labels=labels,
    )


def _posterior(dep: Deployment, name: str, object_id: int) -> dict[str, float]:
    """The object's probability of each class under the job's model fitted to every answer."""
    model = job_model(dep, name)
    if model.result is None or object_id not in model.result.answers.item_ids:
        return {}
    item = model.result.answers.index_of("item", object_id)
    row = model.result.posterior[item]
    ids = model.result.answers.label_ids
    return {model.names[int(str(ids[k]))]: float(row[k]) for k in range(len(ids))}


def override_label(dep: Deployment, name: str, object_id: int, class_name: str, admin: str) -> None:
    """An admin's label for a single-label object. It replaces the consolidated label in the
    output, says so in the label's metadata (`truthset-override`: who, when, what it replaced)
    and stays: later consolidation passes leave an overridden object alone."""
    now = dep.clock.now()
    with dep.db.write() as conn:
        job = _job(conn, name)
        if not isinstance(task_type(job.task_type), SingleLabel):
            raise Invalid("labels can be overridden in single-label classification jobs only")
        labels = [entry["label"] for entry in json.loads(job.label_config)["labels"]]
        if class_name not in labels:
            raise Invalid(f"{class_name!r} is not one of the job's labels")
        found = conn.execute(
            select(DataObject.label, DataObject.state).where(
                DataObject.job_id == job.id, DataObject.object_id == object_id
            )
        ).first()
        if found is None:
            raise NotFound(f"job {job.name!r} has no data object {object_id}")
        if found.state not in ("labeled", "autolabeled"):
            # An object still being answered would then take answers it no longer needs.
            raise Invalid(
                f"data object {object_id} is {found.state}: only a label can be overridden"
            )
        attr = job.label_attribute_name
        earlier = json.loads(found.label) if found.label else {}
        meta = dict(earlier.get(f"{attr}-metadata") or {})
        previous = meta.get("class-name")
        meta.pop("truthset-override", None)
        meta.update(
            {
                "class-name": class_name,
                "confidence": 1.0,
                "type": meta.get("type") or task_type(job.task_type).gt_type,
                "job-name": f"labeling-job/{job.name}",
                "human-annotated": "yes",
                "creation-date": creation_date(now),
                "truthset-override": {"by": admin, "at": creation_date(now), "replaced": previous},
            }
        )
        content = {attr: labels.index(class_name), f"{attr}-metadata": meta}
        conn.execute(
            update(DataObject)
            .where(DataObject.job_id == job.id, DataObject.object_id == object_id)
            .values(
                label=json.dumps(content, ensure_ascii=False),
                state="labeled",
                machine_labeled=False,
                overridden=True,
                labeled_at=now,
            )
        )
        conn.execute(
            update(Job).where(Job.id == job.id).values(label_version=Job.label_version + 1)
        )
        audit.record(
            conn,
            dep,
            "label.overridden",
            job=job.name,
            object_id=object_id,
            detail={"label": class_name, "replaced": previous},
        )


@dataclass(frozen=True)
class JobWorker:
    worker_id: str
    email: str


def job_workers(dep: Deployment, name: str) -> list[JobWorker]:
    """Who answered in the job, by e-mail (one indexed query: no model is fitted for it)."""
    with dep.db.read() as conn:
        job = _job(conn, name)
        found = conn.execute(
            select(User.worker_id, User.email)
            .where(User.id.in_(select(Annotation.user_id).where(Annotation.job_id == job.id)))
            .order_by(User.email)
        ).all()
    return [JobWorker(worker_id, email) for worker_id, email in found]


def is_single_label(dep: Deployment, name: str) -> bool:
    with dep.db.read() as conn:
        return isinstance(task_type(_job(conn, name).task_type), SingleLabel)
