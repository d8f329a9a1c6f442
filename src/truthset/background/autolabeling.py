"""Automated labeling inside a running job: features, the loop's decisions, machine labels.

Everything the loop needs is rebuilt from the database on every decision (features, human and
machine labels, what was released to humans, the validation set, the last iteration), so a
restarted or different server process carries on where another left off.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, bindparam, func, insert, select, update

from truthset import autolabel
from truthset.autolabel import AutoLabelSettings, Decision, HumanLabel, LoopState, MachineLabel
from truthset.background.labeling import store_labels
from truthset.db.tables import Annotation, AutolabelIteration, DataObject, Job, ObjectFeature
from truthset.deployment import Deployment
from truthset.errors import TruthsetError
from truthset.job_requests import auto_label_options
from truthset.jobs import job_spec
from truthset.storage.base import join
from truthset.tasktypes.base import JobSpec, ObjectLabel
from truthset.tasktypes.classification import machine_label
from truthset.tasktypes.registry import task_type

log = logging.getLogger(__name__)
FEATURE_BATCH = 32
FEATURE_SECONDS = 10.0  # feature work per runner pass, so other jobs and completion go on
RELEASED = ("queued", "open", "answered", "labeled", "failed")
# Steps whose batches are drawn at random: they go to humans while features are still computed.
RANDOM_STEPS = ("probe", "training", "validation")
_extractors: dict[str, Any] = {}
_fingerprints: dict[tuple[str, int], tuple[object, float]] = {}


def step(dep: Deployment, job: Any) -> None:
    """One pass of automated labeling for an InProgress job that has it switched on."""
    options = auto_label_options(json.loads(job.options))
    if options is None or job.status != "InProgress":
        return
    ids = _object_ids(dep, job.id)
    settings = _settings(job, options, len(ids))
    ready = _ensure_features(dep, job, ids, options.get("features", "auto"))
    state = _loop_state(dep, job, ids, options, ready)
    key = (dep.settings.resolved_database_url, job.id)
    fingerprint = (
        len(state.human_labels),
        len(state.released),
        len(state.failed),
        len(state.machine_labels),
        ready,
    )
    last = _fingerprints.get(key)
    if last is not None and last[0] == fingerprint and time.monotonic() - last[1] < 60:
        return
    decision = autolabel.decide(state, settings)
    _fingerprints[key] = (fingerprint, time.monotonic())
    if not ready and decision.step not in RANDOM_STEPS:
        return  # the model needs every object's features; the random batches do not
    if decision.step not in ("wait", "done"):
        _apply(dep, job, ids, decision)


def _settings(job: Any, options: dict[str, Any], n_objects: int) -> AutoLabelSettings:
    # Ground Truth sends MaxConcurrentTaskCount objects per batch; on small jobs that would hand
    # most objects to people before any model exists, so batches are 5% of the job (100 at least).
    batch = max(10, min(job.max_concurrent_tasks, max(100, n_objects // 20)))
    return AutoLabelSettings(
        target_accuracy=float(options.get("target_accuracy", 0.95)), batch_size=batch
    )


def _object_ids(dep: Deployment, job_id: int) -> list[int]:
    with dep.db.read() as conn:
        return list(
            conn.scalars(
                select(DataObject.object_id)
                .where(DataObject.job_id == job_id, DataObject.state != "gold")
                .order_by(DataObject.object_id)
            )
        )


def _extractor(kind: str, prefer: str) -> Any:
    key = f"{kind}:{prefer}"
    if key not in _extractors:
        make = autolabel.image_extractor if kind == "image" else autolabel.text_extractor
        _extractors[key] = make(prefer)  # type: ignore[arg-type]
    return _extractors[key]


def _ensure_features(dep: Deployment, job: Any, ids: list[int], prefer: str) -> bool:
    """Computes missing features for a while; True when every object has them."""
    with dep.db.read() as conn:
        done = set(
            conn.scalars(select(ObjectFeature.object_id).where(ObjectFeature.job_id == job.id))
        )
    missing = [i for i in ids if i not in done]
    if not missing:
        return True
    kind = task_type(job.task_type)
    extractor = _extractor("image" if kind.input_key == "source-ref" else "text", prefer)
    if not extractor.per_object:
        # TF-IDF is fitted on all of a job's texts at once (texts are in the manifest lines).
        _store_features(dep, job.id, extractor.name, _lines(dep, job.id, ids), extractor)
        return True
    started = time.monotonic()
    for start in range(0, len(missing), FEATURE_BATCH):
        _store_features(
            dep,
            job.id,
            extractor.name,
            _lines(dep, job.id, missing[start : start + FEATURE_BATCH]),
            extractor,
        )
        if time.monotonic() - started > FEATURE_SECONDS:
            return start + FEATURE_BATCH >= len(missing)
    return True


def _lines(dep: Deployment, job_id: int, ids: list[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    with dep.db.read() as conn:
        for start in range(0, len(ids), 900):
            rows = conn.execute(
                select(DataObject.object_id, DataObject.line).where(
                    DataObject.job_id == job_id, DataObject.object_id.in_(ids[start : start + 900])
                )
            )
            found.update((object_id, json.loads(line)) for object_id, line in rows)
    return found


def _store_features(
    dep: Deployment, job_id: int, name: str, lines: dict[int, dict[str, Any]], extractor: Any
) -> None:
    items: dict[int, Any] = {}
    for object_id, line in lines.items():
        if "source" in line:
            items[object_id] = line["source"]
            continue
        try:
            items[object_id] = dep.storage.read_bytes(line["source-ref"])
        except TruthsetError as error:
            log.warning("job %s object %s: no features: %s", job_id, object_id, error.message)
    vectors: dict[int, bytes] = {object_id: b"" for object_id in lines}  # b"": no features
    readable = list(items)
    try:
        if readable:
            matrix = extractor.extract([items[i] for i in readable])
            vectors.update(
                (i, row.astype(np.float32).tobytes())
                for i, row in zip(readable, matrix, strict=True)
            )
    except autolabel.FeatureError:
        for object_id in readable:  # one bad image: try them one by one
            try:
                vectors[object_id] = (
                    extractor.extract([items[object_id]])[0].astype(np.float32).tobytes()
                )
            except autolabel.FeatureError as error:
                log.warning("job %s object %s: no features: %s", job_id, object_id, error)
    with dep.db.write() as conn:
        conn.execute(
            insert(ObjectFeature),
            [
                {"job_id": job_id, "object_id": i, "extractor": name, "vector": v}
                for i, v in vectors.items()
            ],
        )
        # No model can label an object it has no features of: people get it at once (and an
        # unreadable image then fails the way it does in any job).
        _release(conn, job_id, [i for i, v in vectors.items() if not v])


def _release(conn: Connection, job_id: int, object_ids: list[int] | tuple[int, ...]) -> None:
    """Hands held objects to humans, in the given order (dispatch takes the lowest priority first)."""
    if not object_ids:
        return
    highest = conn.scalar(
        select(func.coalesce(func.max(DataObject.priority), 0.0)).where(DataObject.job_id == job_id)
    )
    base = float(highest or 0.0)
    conn.execute(
        update(DataObject)
        .where(
            DataObject.job_id == bindparam("p_job"),
            DataObject.object_id == bindparam("p_object"),
            DataObject.state == "held",
        )
        .values(state="queued", priority=bindparam("p_priority")),
        [
            {"p_job": job_id, "p_object": object_id, "p_priority": base + 1 + rank}
            for rank, object_id in enumerate(object_ids)
        ],
    )


@dataclass(frozen=True)
class _Stored:
    state: str
    label: Any
    answers: int
    validation: bool


def _loop_state(
    dep: Deployment, job: Any, ids: list[int], options: dict[str, Any], ready: bool
) -> LoopState:
    """The loop's state from the database. Until every object has features (`ready`), the
    features are zeros: enough for the random steps, which do not look at them."""
    row_of = {object_id: row for row, object_id in enumerate(ids)}
    with dep.db.read() as conn:
        found = conn.execute(
            select(ObjectFeature.object_id, ObjectFeature.extractor, ObjectFeature.vector).where(
                ObjectFeature.job_id == job.id
            )
        ).all()
        stored = {
            r.object_id: _Stored(
                r.state, json.loads(r.label) if r.label else None, r.answers, r.validation
            )
            for r in conn.execute(
                select(
                    DataObject.object_id,
                    DataObject.state,
                    DataObject.label,
                    DataObject.answers,
                    DataObject.validation,
                ).where(DataObject.job_id == job.id, DataObject.state != "gold")
            )
        }
        last = _last_record(conn, job.id)
        initial = _initial_model(conn, options)
        votes: dict[int, list[str]] = {}
        for object_id, code in conn.execute(
            select(Annotation.object_id, Annotation.code).where(Annotation.job_id == job.id)
        ):
            votes.setdefault(object_id, []).append(code or "")
    vectors = _vectors(found if ready else [], row_of)
    spec = job_spec(job)
    human, machine = _labels(spec, stored, votes, row_of)
    return LoopState(
        features=autolabel.Features(found[0][1] if found else "none", vectors),
        n_classes=len(spec.labels),
        human_labels=human,
        # Objects without features were handed to people when their features were stored.
        released={row_of[o] for o, s in stored.items() if s.state in RELEASED},
        validation={row_of[o] for o, s in stored.items() if s.validation},
        machine_labels=machine,
        failed=frozenset(row_of[o] for o, s in stored.items() if s.state == "failed"),
        last=last,
        initial_model=initial,
    )


def _vectors(found: Sequence[Any], row_of: dict[int, int]) -> NDArray[np.float32]:
    """The stored feature vectors as one matrix in object order (zeros where none yet)."""
    width = max((len(v) for _, _, v in found), default=4) // 4
    vectors = np.zeros((len(row_of), max(width, 1)), dtype=np.float32)
    for object_id, _name, vector in found:
        if vector and object_id in row_of:
            vectors[row_of[object_id]] = np.frombuffer(vector, dtype=np.float32)
    return vectors


def _labels(
    spec: JobSpec, stored: dict[int, _Stored], votes: dict[int, list[str]], row_of: dict[int, int]
) -> tuple[dict[int, HumanLabel], dict[int, MachineLabel]]:
    """The human and machine labels so far, by row."""
    attr = spec.label_attribute_name
    human, machine = {}, {}
    for object_id, item in stored.items():
        if item.label is None:
            continue
        k = spec.labels.index(item.label[f"{attr}-metadata"]["class-name"])
        confidence = float(item.label[f"{attr}-metadata"]["confidence"])
        if item.state == "labeled":
            # A human label's weight is the share of workers who gave it: a split vote counts
            # less, in training and in the validation accuracy the threshold is chosen on.
            answers = votes.get(object_id, [])
            share = answers.count(str(k)) / len(answers) if answers else 1.0
            human[row_of[object_id]] = HumanLabel(k, share)
        elif item.state == "autolabeled":
            machine[row_of[object_id]] = MachineLabel(k, confidence)
    return human, machine


def _last_record(conn: Connection, job_id: int) -> autolabel.IterationRecord | None:
    for (record,) in conn.execute(
        select(AutolabelIteration.record)
        .where(AutolabelIteration.job_id == job_id)
        .order_by(AutolabelIteration.iteration.desc())
    ):
        data = json.loads(record)
        if data.get("step", "iteration") == "iteration":
            return autolabel.IterationRecord(**{k: v for k, v in data.items() if k != "step"})
    return None


def _initial_model(conn: Connection, options: dict[str, Any]) -> autolabel.LabelModel | None:
    """Warm start: the last model of the job named in `initial_model_job`, if it has one."""
    name = options.get("initial_model_job")
    if not name:
        return None
    model = conn.scalar(
        select(AutolabelIteration.model)
        .join(Job, Job.id == AutolabelIteration.job_id)
        .where(Job.name_key == str(name).lower(), AutolabelIteration.model.is_not(None))
        .order_by(AutolabelIteration.iteration.desc())
        .limit(1)
    )
    return autolabel.LabelModel.from_bytes(model) if model else None


def final_model(dep: Deployment, job_id: int) -> bytes | None:
    with dep.db.read() as conn:
        return conn.scalar(
            select(AutolabelIteration.model)
            .where(AutolabelIteration.job_id == job_id, AutolabelIteration.model.is_not(None))
            .order_by(AutolabelIteration.iteration.desc())
            .limit(1)
        )


def iterations(dep: Deployment, job_id: int) -> list[dict[str, Any]]:
    """Every recorded decision of the job's automated labeling, oldest first (for the console)."""
    with dep.db.read() as conn:
        rows = conn.execute(
            select(AutolabelIteration.record, AutolabelIteration.created_at)
            .where(AutolabelIteration.job_id == job_id)
            .order_by(AutolabelIteration.iteration)
        ).all()
    return [{**json.loads(record), "created_at": created} for record, created in rows]


def _apply(dep: Deployment, job: Any, ids: list[int], decision: Decision) -> None:
    """Carries out a decision: machine labels, releases to humans, the validation set, records."""
    now = dep.clock.now()
    spec = job_spec(job)
    kind = task_type(job.task_type)
    labels: list[ObjectLabel] = [
        machine_label(spec, kind.gt_type, ids[row], m.label, m.confidence, now)
        for row, m in decision.machine_labels.items()
    ]
    record = (
        decision.record.as_dict()
        if decision.record
        else {"step": decision.step, "reason": decision.reason}
    )
    with dep.db.write() as conn:
        held = set(
            conn.scalars(
                select(DataObject.object_id).where(
                    DataObject.job_id == job.id, DataObject.state == "held"
                )
            )
        )
        # Machine labels only ever go to objects no human was given: never both kinds of label.
        labels = [label for label in labels if label.object_id in held]
        store_labels(conn, dep, job.id, labels, now)
        _release(conn, job.id, [ids[row] for row in decision.to_humans])
        if decision.validation:
            conn.execute(
                update(DataObject)
                .where(
                    DataObject.job_id == job.id,
                    DataObject.object_id.in_([ids[row] for row in decision.validation]),
                )
                .values(validation=True)
            )
        number = _store_record(conn, job.id, decision, record, now)
        if labels:
            conn.execute(
                update(Job).where(Job.id == job.id).values(label_version=Job.label_version + 1)
            )
    _write_files(dep, job, number, {"step": decision.step, **record}, labels)


def _store_record(
    conn: Connection, job_id: int, decision: Decision, record: dict[str, Any], now: datetime
) -> int:
    """Stores the decision's record and model under the next number; returns the number."""
    number = _record_number(conn, job_id, decision)
    conn.execute(
        insert(AutolabelIteration).values(
            job_id=job_id,
            iteration=number,
            created_at=now,
            record=json.dumps({"step": decision.step, **record}),
            model=decision.model.to_bytes() if decision.model else None,
        )
    )
    return number


def _record_number(conn: Connection, job_id: int, decision: Decision) -> int:
    """Decisions are numbered in order (probe, validation batch, iterations...); an iteration's
    own number is in its record."""
    latest = conn.scalar(
        select(func.max(AutolabelIteration.iteration)).where(AutolabelIteration.job_id == job_id)
    )
    return int(latest or 0) + 1


def _write_files(
    dep: Deployment, job: Any, number: int, record: dict[str, Any], labels: list[ObjectLabel]
) -> None:
    """activelearning/iteration-<n>/: what the iteration decided and why, and its machine labels
    as `<object id> <label json>` lines (Ground Truth's auto_annotator_output.txt)."""
    step = record["step"]
    name = (
        f"iteration-{record['iteration']}" if step == "iteration" else f"decision-{number}-{step}"
    )
    folder = join(job.output_uri, job.name, "activelearning", name)
    dep.storage.write_bytes(join(folder, "iteration.json"), json.dumps(record, indent=2).encode())
    if labels:
        lines = "".join(f"{label.object_id} {json.dumps(label.content)}\n" for label in labels)
        dep.storage.write_bytes(join(folder, "auto_annotator_output.txt"), lines.encode())
