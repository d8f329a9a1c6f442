"""Labeling jobs: creation (with streamed manifest import), listing, description, stopping."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from truthset import audit, manifests
from truthset.background import leases
from truthset.db.tables import DataObject, Job, Team
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid, NotFound
from truthset.failures import FAILED_STATES
from truthset.intake import queues
from truthset.intake.options import streaming_options
from truthset.job_requests import JobRequest as JobRequest
from truthset.job_requests import adaptive_options as adaptive_options
from truthset.job_requests import auto_label_options, build_spec
from truthset.job_requests import job_options as job_options
from truthset.labels import label_names
from truthset.notifications import events
from truthset.review.flows import FLOW_OPTION
from truthset.storage.base import join
from truthset.tasktypes.base import JobSpec, TaskType
from truthset.tasktypes.registry import task_type

ACTIVE = ("Initializing", "InProgress", "Stopping")
# Object states that still await a label ("held": waiting for the automated-labeling model).
# "prehook": a custom job's object waiting for its pre-annotation hook.
UNFINISHED = ("queued", "open", "answered", "held", "prehook")
ENDED = ("Completed", "Failed", "Stopped")
IMPORT_BATCH = 5_000


def first_in_state(job_id: int, state: str) -> Select[int]:
    """The job's first object in a state, in the order of ix_data_objects_job_state. Ordered so
    that both databases walk that index: an EXISTS, or an unordered LIMIT, lets PostgreSQL
    choose a sequential scan when most of a large job is in other states (its statistics say
    a match is near; the labeled half of the job comes first on disk)."""
    return (
        select(DataObject.object_id)
        .where(DataObject.job_id == job_id, DataObject.state == state)
        .order_by(DataObject.priority, DataObject.object_id)
        .limit(1)
    )


def has_objects_in(job_id: int, states: tuple[str, ...]) -> ColumnElement[bool]:
    """Whether the job has an object in one of the states (an index lookup per state)."""
    return or_(*(first_in_state(job_id, state).scalar_subquery().is_not(None) for state in states))


@dataclass(frozen=True)
class LabelCounters:
    total_labeled: int
    human_labeled: int
    machine_labeled: int
    failed: int
    unlabeled: int

    def as_ground_truth(self) -> dict[str, int]:
        return {
            "TotalLabeled": self.total_labeled,
            "HumanLabeled": self.human_labeled,
            "MachineLabeled": self.machine_labeled,
            "FailedNonRetryableError": self.failed,
            "Unlabeled": self.unlabeled,
        }


@dataclass(frozen=True)
class JobInfo:
    id: int
    name: str
    status: str
    task_type: str
    label_attribute_name: str
    labels: list[str]
    team: str
    manifest_uri: str
    output_uri: str
    workers_per_object: int
    title: str
    description: str
    task_time_limit: int
    task_availability: int
    max_concurrent_tasks: int
    object_count: int
    reference_code: str
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    failure_reason: str | None
    counters: LabelCounters
    options: dict[str, Any]

    @property
    def output_folder(self) -> str:
        return join(self.output_uri, self.name)

    @property
    def output_manifest(self) -> str:
        return join(self.output_folder, "manifests/output/output.manifest")


def create_job(
    dep: Deployment,
    request: JobRequest,
    import_now: bool = True,
    progress: Callable[[str, int], None] | None = None,
) -> JobInfo:
    """Creates a job. The manifest is checked whole first: any bad line refuses the job and
    creates nothing. With import_now the objects are stored before returning (the CLI shows
    progress); otherwise the background runner stores them while the job is Initializing."""
    kind, spec = build_spec(dep, request)
    dep.storage.check_writable(join(request.output, request.name))
    with dep.db.read() as conn:
        team_id = conn.scalar(select(Team.id).where(Team.name_key == request.team.lower()))
        if team_id is None:
            # A bad field of the request (400), not a missing resource being addressed (404).
            raise Invalid(f"no work team named {request.team!r}")
        if conn.scalar(select(Job.id).where(Job.name_key == request.name.lower())) is not None:
            raise Conflict(f"a labeling job named {request.name!r} already exists")
    stream = streaming_options(spec.options)
    count = _check_manifest(dep, request, kind, spec, stream is not None, progress)
    if stream is not None and stream.get("input_topic"):
        # Ground Truth makes the queue when the job is created (section 9.2).
        stream["queue_url"] = queues.ensure_queue(request.name, stream["input_topic"])
    _warm_start_from_chain(dep, request, spec)
    owner = leases.new_owner("import") if import_now else None
    job_id = _insert_job(dep, request, kind, spec, int(team_id), count, owner)
    write_tool_files(dep, request.output, spec, kind, request.ui_template, request.template_assets)
    if owner is not None:
        try:
            import_objects(dep, job_id, owner, progress)
        finally:
            leases.release(dep, job_id, owner)
    dep.wake.set()
    return describe_job(dep, request.name)


def _check_manifest(
    dep: Deployment,
    request: JobRequest,
    kind: TaskType,
    spec: JobSpec,
    streaming: bool,
    progress: Callable[[str, int], None] | None,
) -> int:
    """Checks the whole manifest; returns its object count. A streaming job may start empty."""
    if not request.manifest:
        if not streaming:
            raise Invalid("give the input manifest (only a streaming job may start without one)")
        return 0
    report = manifests.validate(
        dep.storage,
        request.manifest,
        getattr(kind, "input_keys", (kind.input_key,)),
        progress=(lambda n: progress("checking", n)) if progress else None,
        check_object=object_checker(kind, spec),
    )
    if streaming and report.objects == 0 and not report.problem_count:
        return 0
    report.raise_if_bad(request.manifest)
    return report.objects


def _warm_start_from_chain(dep: Deployment, request: JobRequest, spec: JobSpec) -> None:
    """Section 9.3: a job over an earlier job's output manifest that keeps its label attribute
    name warm-starts automated labeling from that job's model."""
    auto = spec.options.get("auto_label")
    if not isinstance(auto, dict) or "initial_model_job" in auto or not request.manifest:
        return
    with dep.db.read() as conn:
        rows = conn.execute(
            select(Job.name, Job.output_uri, Job.options).where(
                Job.label_attribute_name == spec.label_attribute_name
            )
        ).all()
    for name, output_uri, options in rows:
        chained = join(output_uri, name, "manifests/output/output.manifest") == request.manifest
        if chained and "auto_label" in json.loads(options):
            auto["initial_model_job"] = name
            return


def object_checker(kind: TaskType, spec: JobSpec) -> Callable[[dict[str, Any]], None]:
    """Checks a line's gold answer, if it has one, against the task type's rules, and the line
    itself when the task type has rules for it (an audit job's earlier label)."""
    check: Callable[[JobSpec, Any], None] | None = getattr(kind, "check_gold", None)
    check_line: Callable[[JobSpec, dict[str, Any]], None] | None = getattr(kind, "check_line", None)

    def check_object(line: dict[str, Any]) -> None:
        if check_line is not None:
            check_line(spec, line)
        if manifests.GOLD_KEY not in line:
            return
        if check is None:
            raise Invalid(
                f"{manifests.GOLD_KEY}: gold answers are not supported for {kind.name} jobs"
            )
        check(spec, line[manifests.GOLD_KEY])

    return check_object


def _insert_job(
    dep: Deployment,
    request: JobRequest,
    kind: TaskType,
    spec: JobSpec,
    team_id: int,
    count: int,
    owner: str | None,
) -> int:
    now = dep.clock.now()
    values = {
        # An importing CLI holds the runner lease from the start, so no server runner imports too.
        "runner_owner": owner,
        "runner_until": now + timedelta(seconds=leases.LEASE_SECONDS) if owner else None,
        "name": request.name,
        "name_key": request.name.lower(),
        "label_attribute_name": spec.label_attribute_name,
        "task_type": kind.name,
        "label_config": json.dumps(spec.label_config),
        "manifest_uri": request.manifest,
        "output_uri": request.output.rstrip("/"),
        "team_id": team_id,
        "workers_per_object": spec.workers_per_object,
        "title": spec.title,
        "description": spec.description,
        "instructions": spec.instructions,
        "ui_template": request.ui_template,
        "task_time_limit": request.task_time_limit or kind.default_time_limit,
        "task_availability": request.task_availability,
        "max_concurrent_tasks": request.max_concurrent_tasks,
        "options": json.dumps(spec.options),
        "status": "Initializing",
        "reference_code": secrets.token_hex(12),
        "object_count": count,
        "created_at": now,
        "updated_at": now,
    }
    try:
        with dep.db.write() as conn:
            job_id = int(conn.execute(insert(Job).values(**values)).inserted_primary_key[0])  # type: ignore[index]
            detail = {"team": request.team, "manifest": request.manifest, "task_type": kind.name}
            audit.record(conn, dep, "job.created", job=request.name, detail=detail)
            return job_id
    except IntegrityError:
        raise Conflict(f"a labeling job named {request.name!r} already exists") from None


def write_tool_files(
    dep: Deployment,
    output: str,
    spec: JobSpec,
    kind: TaskType,
    ui_template: str | None,
    assets: dict[str, bytes] | None = None,
) -> None:
    """annotation-tool/data.json (label categories, whose order gives class ids), the template
    and the template's own files (assets/)."""
    folder = join(output, spec.name, "annotation-tool")
    dep.storage.write_bytes(join(folder, "data.json"), json.dumps(spec.label_config).encode())
    dep.storage.write_bytes(
        join(folder, "template.liquid"), (ui_template or kind.template()).encode()
    )
    for name, data in (assets or {}).items():
        dep.storage.write_bytes(join(folder, "assets", name), data)


def import_objects(
    dep: Deployment, job_id: int, owner: str, progress: Callable[[str, int], None] | None = None
) -> None:
    """Stores the manifest's objects in batches, then starts the job. Safe to run again after a
    crash: it starts over."""
    with dep.db.read() as conn:
        job = conn.execute(select(Job.__table__).where(Job.id == job_id)).one()
    kind = task_type(job.task_type)
    options = json.loads(job.options)
    stream = streaming_options(options) or {}
    publishes = bool(stream.get("output_topic") or stream.get("webhook"))
    with dep.db.write() as conn:
        conn.execute(delete(DataObject).where(DataObject.job_id == job_id))
    batch: list[dict[str, Any]] = []
    imported = gold_count = carried = 0
    # Media URIs were checked when the job was created; every read checks them again anyway.
    lines = (
        manifests.iter_objects(
            dep.storage,
            job.manifest_uri,
            getattr(kind, "input_keys", (kind.input_key,)),
            check_uris=False,
        )
        if job.manifest_uri
        else iter(())  # a streaming job that starts empty
    )
    first_state = _first_state(options)
    for object_id, text, parsed, problem in lines:
        if parsed is None:
            # The manifest changed after it was checked: fail rather than label a different file.
            _fail_job(dep, job_id, f"manifest changed while importing: {problem}")
            return
        gold = parsed.get(manifests.GOLD_KEY)
        # Section 9.3 (chaining): a line that already has this job's label keeps it and is not
        # sent to workers; it is in the output as it came.
        has_label = job.label_attribute_name in parsed and gold is None
        state = "carried" if has_label else first_state if gold is None else "gold"
        batch.append(
            {
                "job_id": job_id,
                "object_id": object_id,
                "line": text,
                "state": state,
                "gold": None if gold is None else json.dumps(gold),
                "published": False if publishes and state == first_state else None,
            }
        )
        gold_count += gold is not None
        carried += has_label
        if len(batch) >= IMPORT_BATCH:
            imported += _store_batch(dep, batch)
            leases.acquire(dep, job_id, owner)
            if progress:
                progress("importing", imported)
    imported += _store_batch(dep, batch)
    with dep.db.write() as conn:
        if not dep.db.is_sqlite:
            # Fresh statistics, so the planner knows how large the job is before autovacuum
            # would notice (dispatch's plans do not depend on them; the runner's counts do).
            conn.exec_driver_sql("ANALYZE data_objects")
        started = conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "Initializing")
            .values(
                status="InProgress",
                object_count=imported - gold_count - carried,
                updated_at=dep.clock.now(),
            )
        )
        if started.rowcount == 1:
            events.status_changed(conn, dep, job_id, "InProgress")
    if progress:
        progress("importing", imported)


def _first_state(options: dict[str, Any]) -> str:
    """Where an object starts: waiting for a custom job's pre-annotation hook, for the
    automated-labeling model ("held"), or queued for workers."""
    if options.get("pre_hook") is not None:
        return "prehook"
    return "held" if auto_label_options(options) is not None else "queued"


def _store_batch(dep: Deployment, batch: list[dict[str, Any]]) -> int:
    if not batch:
        return 0
    with dep.db.write() as conn:
        conn.execute(insert(DataObject), batch)
    count = len(batch)
    batch.clear()
    return count


def _fail_job(dep: Deployment, job_id: int, reason: str) -> None:
    now = dep.clock.now()
    with dep.db.write() as conn:
        conn.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status="Failed", failure_reason=reason[:1024], updated_at=now, ended_at=now)
        )
        events.status_changed(conn, dep, job_id, "Failed")


def counters(conn: Connection, job_id: int) -> LabelCounters:
    rows = conn.execute(
        select(DataObject.state, func.count())
        .where(DataObject.job_id == job_id)
        .group_by(DataObject.state)
    ).all()
    by_state = {state: int(count) for state, count in rows}
    human = by_state.get("labeled", 0)
    machine = by_state.get("autolabeled", 0)
    failed = sum(by_state.get(state, 0) for state in FAILED_STATES)
    # Objects a pre-annotation hook kept from humans (isHumanAnnotationRequired false) stay
    # unlabeled in the output, as in Ground Truth.
    unlabeled = sum(by_state.get(s, 0) for s in (*UNFINISHED, "skipped"))
    return LabelCounters(human + machine, human, machine, failed, unlabeled)


def _job_info(conn: Connection, row: Any) -> JobInfo:
    team = conn.scalar(select(Team.name).where(Team.id == row.team_id))
    config = json.loads(row.label_config)
    return JobInfo(
        id=row.id,
        name=row.name,
        status=row.status,
        task_type=row.task_type,
        label_attribute_name=row.label_attribute_name,
        labels=label_names(config),
        team=str(team),
        manifest_uri=row.manifest_uri,
        output_uri=row.output_uri,
        workers_per_object=row.workers_per_object,
        title=row.title,
        description=row.description,
        task_time_limit=row.task_time_limit,
        task_availability=row.task_availability,
        max_concurrent_tasks=row.max_concurrent_tasks,
        object_count=row.object_count,
        reference_code=row.reference_code,
        created_at=row.created_at,
        updated_at=row.updated_at,
        ended_at=row.ended_at,
        failure_reason=row.failure_reason,
        counters=counters(conn, row.id),
        options=json.loads(row.options),
    )


def describe_job(dep: Deployment, name: str) -> JobInfo:
    with dep.db.read() as conn:
        row = conn.execute(select(Job.__table__).where(Job.name_key == name.lower())).first()
        if row is None:
            raise NotFound(f"no labeling job named {name!r}")
        return _job_info(conn, row)


def list_jobs(
    dep: Deployment, status: str | None = None, team_ids: list[int] | None = None
) -> list[JobInfo]:
    query = select(Job.__table__).order_by(Job.created_at.desc(), Job.id.desc())
    if status:
        query = query.where(Job.status == status)
    if team_ids is not None:
        query = query.where(Job.team_id.in_(team_ids))
    with dep.db.read() as conn:
        return [_job_info(conn, row) for row in conn.execute(query).all()]


def stop_job(dep: Deployment, name: str) -> JobInfo:
    """Asks the job to stop: no new tasks; the runner writes the results so far and ends it."""
    with dep.db.write() as conn:
        row = conn.execute(
            select(Job.id, Job.status, Job.options).where(Job.name_key == name.lower())
        ).first()
        if row is None:
            raise NotFound(f"no labeling job named {name!r}")
        if FLOW_OPTION in json.loads(row.options):  # it runs for as long as its flow exists
            raise Conflict(f"{name!r} is a flow definition; stop its human loops instead")
        if row.status in ENDED or row.status == "Stopping":
            raise Conflict(f"labeling job {name!r} is already {row.status}")
        conn.execute(
            update(Job)
            .where(Job.id == row.id)
            .values(status="Stopping", updated_at=dep.clock.now())
        )
        audit.record(conn, dep, "job.stopped", job=name)
        events.status_changed(conn, dep, row.id, "Stopping")
    dep.wake.set()
    return describe_job(dep, name)


@dataclass(frozen=True)
class JobRecord:
    """The fields of a job that never change after creation (cached per process)."""

    id: int
    name: str
    team_id: int
    task_type: str
    workers_per_object: int
    task_time_limit: int
    ui_template: str | None
    spec: JobSpec


def job_record(
    dep: Deployment, conn: Connection, name: str | None = None, job_id: int | None = None
) -> JobRecord | None:
    key: object = ("name", name.lower()) if name is not None else ("id", job_id)
    cached = dep.job_records.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    condition = Job.name_key == name.lower() if name is not None else Job.id == job_id
    row = conn.execute(select(Job.__table__).where(condition)).first()
    if row is None:
        return None
    record = JobRecord(
        row.id,
        row.name,
        row.team_id,
        row.task_type,
        row.workers_per_object,
        row.task_time_limit,
        row.ui_template,
        job_spec(row),
    )
    dep.job_records[("name", row.name_key)] = dep.job_records[("id", row.id)] = record
    return record


def job_spec(row: Any) -> JobSpec:
    config = json.loads(row.label_config)
    return JobSpec(
        name=row.name,
        label_attribute_name=row.label_attribute_name,
        labels=label_names(config),
        label_config=config,
        workers_per_object=row.workers_per_object,
        title=row.title,
        description=row.description,
        instructions=row.instructions,
        options=json.loads(row.options),
    )
