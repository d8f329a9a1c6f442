"""Flow definitions: the work team, worker template, workers per loop, time limits and output
place of a kind of human review. Each is backed by an open-ended custom job of the same name,
so its loops are handed out by the same dispatch (portal, keyboard flow, worker quality)."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, insert, select
from sqlalchemy.exc import IntegrityError

from truthset import task_uis
from truthset.db.tables import FlowDefinition, HumanLoop, Job, Team
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid, NotFound
from truthset.settings import Settings
from truthset.storage.base import join
from truthset.tasktypes.base import label_config_json

# A2I's limits for a private work team: 1 to 3 workers per loop, a task available for up to
# 10 days (864,000 s), a worker's time limit of 30 s to 8 hours, 3,600 s by default.
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_HumanLoopConfig.html
MAX_TASK_COUNT = 3
MAX_AVAILABILITY = 864_000
DEFAULT_AVAILABILITY = 864_000
MIN_TIME_LIMIT = 30
MAX_TIME_LIMIT = 28_800
DEFAULT_TIME_LIMIT = 3_600
# Loops are never held back: every loop started is offered at once (A2I has no such window).
OPEN_WINDOW = 2_000_000_000
FLOW_OPTION = "flow_definition"


@dataclass(frozen=True)
class FlowRequest:
    name: str
    team: str
    task_ui: str  # the name of a stored worker template (human task UI)
    task_count: int
    title: str
    description: str
    output_path: str
    time_limit: int = DEFAULT_TIME_LIMIT
    availability: int = DEFAULT_AVAILABILITY
    keywords: list[str] = field(default_factory=list)
    # What else the request held (RoleArn, HumanLoopActivationConfig, ...), kept as given.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FlowInfo:
    id: int
    name: str
    job_id: int
    team: str
    task_ui: str
    task_count: int
    title: str
    description: str
    keywords: list[str]
    time_limit: int
    availability: int
    output_path: str
    created_at: datetime
    extra: dict[str, Any]


def flow_arn(settings: Settings, name: str) -> str:
    """The flow's ARN as the SageMaker API reports it and output.json carries it."""
    prefix = f"arn:aws:sagemaker:{settings.sagemaker_region}:{settings.sagemaker_account_id}"
    return f"{prefix}:flow-definition/{name}"


def loop_arn(settings: Settings, name: str) -> str:
    prefix = f"arn:aws:sagemaker:{settings.sagemaker_region}:{settings.sagemaker_account_id}"
    return f"{prefix}:human-loop/{name}"


def is_flow_job(job: Any) -> bool:
    """Whether a job row is the job behind a flow definition (the runner steps it differently)."""
    return FLOW_OPTION in json.loads(job.options or "{}")


_FLOW_NAME = re.compile(r"[a-z0-9](-*[a-z0-9]){0,62}")


def _check(request: FlowRequest) -> None:
    problems = []
    if not _FLOW_NAME.fullmatch(request.name):
        problems.append(
            f"flow definition name {request.name!r} is invalid: use 1-63 lower-case letters, "
            "digits and hyphens, starting and ending with a letter or digit"
        )
    if not 1 <= request.task_count <= MAX_TASK_COUNT:
        problems.append(f"workers per loop must be 1 to {MAX_TASK_COUNT}, got {request.task_count}")
    if not MIN_TIME_LIMIT <= request.time_limit <= MAX_TIME_LIMIT:
        problems.append(
            f"the task time limit must be {MIN_TIME_LIMIT} to {MAX_TIME_LIMIT} seconds, "
            f"got {request.time_limit}"
        )
    if not 1 <= request.availability <= MAX_AVAILABILITY:
        problems.append(
            f"the task availability lifetime must be 1 to {MAX_AVAILABILITY} seconds, "
            f"got {request.availability}"
        )
    if request.time_limit > request.availability:
        problems.append("the task time limit must not exceed the task availability lifetime")
    if problems:
        raise Invalid("; ".join(problems), problems)


def create_flow(dep: Deployment, request: FlowRequest) -> FlowInfo:
    """Creates the flow and its job in one transaction; nothing is left behind on an error.
    The job gets a copy of the files stored with the template, for its task frame."""
    _check(request)
    try:
        template = task_uis.get_task_ui(dep, request.task_ui).template
        assets = task_uis.task_ui_assets(dep, request.task_ui)
    except NotFound:
        # A bad field of the request (400), not a missing resource being addressed (404).
        raise Invalid(f"no human task UI (worker template) named {request.task_ui!r}") from None
    dep.storage.check_writable(join(request.output_path, request.name))
    now = dep.clock.now()
    try:
        with dep.db.write() as conn:
            team_id = conn.scalar(select(Team.id).where(Team.name_key == request.team.lower()))
            if team_id is None:
                raise Invalid(f"no work team named {request.team!r}")
            job_id = _insert_job(conn, request, int(team_id), template, sorted(assets), now)
            config = {
                "task_ui": request.task_ui,
                "keywords": request.keywords,
                "extra": request.extra,
            }
            conn.execute(
                insert(FlowDefinition).values(
                    name=request.name,
                    job_id=job_id,
                    config=json.dumps(config),
                    output_path=request.output_path.rstrip("/"),
                    created_at=now,
                )
            )
    except IntegrityError:
        raise Conflict(
            f"a flow definition or labeling job named {request.name!r} already exists"
        ) from None
    # Written once the job is ours: before, a name taken by another flow would overwrite its files.
    folder = join(request.output_path.rstrip("/"), request.name, "annotation-tool/assets")
    for name, data in assets.items():
        dep.storage.write_bytes(join(folder, name), data)
    return get_flow(dep, request.name)


def _insert_job(
    conn: Connection,
    request: FlowRequest,
    team_id: int,
    template: str,
    assets: list[str],
    now: datetime,
) -> int:
    options: dict[str, Any] = {FLOW_OPTION: request.name}
    if assets:
        options["template_assets"] = assets
    values = {
        "name": request.name,
        "name_key": request.name.lower(),
        "label_attribute_name": request.name,
        "task_type": "custom",
        "label_config": json.dumps(label_config_json([])),
        "manifest_uri": f"flow-definition/{request.name}",
        "output_uri": request.output_path.rstrip("/"),
        "team_id": team_id,
        "workers_per_object": request.task_count,
        "title": request.title,
        "description": request.description,
        "instructions": "",
        "ui_template": template,
        "task_time_limit": request.time_limit,
        "task_availability": request.availability,
        "max_concurrent_tasks": OPEN_WINDOW,
        "options": json.dumps(options),
        "status": "InProgress",
        "reference_code": secrets.token_hex(12),
        "object_count": 0,
        "created_at": now,
        "updated_at": now,
    }
    return int(conn.execute(insert(Job).values(**values)).inserted_primary_key[0])  # type: ignore[index]


def _info(conn: Connection, row: Any) -> FlowInfo:
    job = conn.execute(select(Job.__table__).where(Job.id == row.job_id)).one()
    team = conn.scalar(select(Team.name).where(Team.id == job.team_id))
    config = json.loads(row.config)
    return FlowInfo(
        id=row.id,
        name=row.name,
        job_id=row.job_id,
        team=str(team),
        task_ui=config["task_ui"],
        task_count=job.workers_per_object,
        title=job.title,
        description=job.description,
        keywords=config["keywords"],
        time_limit=job.task_time_limit,
        availability=job.task_availability,
        output_path=row.output_path,
        created_at=row.created_at,
        extra=config["extra"],
    )


def flow_row(conn: Connection, name: str) -> Any:
    row = conn.execute(select(FlowDefinition.__table__).where(FlowDefinition.name == name)).first()
    if row is None:
        raise NotFound(f"no flow definition named {name!r}")
    return row


def get_flow(dep: Deployment, name: str) -> FlowInfo:
    with dep.db.read() as conn:
        return _info(conn, flow_row(conn, name))


def list_flows(dep: Deployment) -> list[FlowInfo]:
    with dep.db.read() as conn:
        rows = conn.execute(
            select(FlowDefinition.__table__).order_by(FlowDefinition.created_at, FlowDefinition.id)
        ).all()
        return [_info(conn, row) for row in rows]


def delete_flow(dep: Deployment, name: str) -> None:
    """Deletes the flow, its job and its ended loops; refused while a loop is in progress (or
    still stopping)."""
    with dep.db.write() as conn:
        row = flow_row(conn, name)
        running = HumanLoop.status.in_(("InProgress", "Stopping"))
        active = conn.scalar(select(exists().where(HumanLoop.flow_id == row.id, running)))
        if active:
            raise Conflict(
                f"flow definition {name!r} has human loops in progress or stopping; stop them first"
            )
        # The job's objects, tasks and answers go with it (ON DELETE CASCADE), then the flow.
        conn.execute(delete(HumanLoop).where(HumanLoop.flow_id == row.id))
        conn.execute(delete(FlowDefinition).where(FlowDefinition.id == row.id))
        conn.execute(delete(Job).where(Job.id == row.job_id))
