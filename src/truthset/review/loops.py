"""Human loops: start, describe, list, stop, delete. Starting a loop is one short write (the
loop and its data object); it never waits for people. The loop is offered to the flow's work
team on the next next-task call of any of its workers."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from truthset.db.tables import Annotation, DataObject, FlowDefinition, HumanLoop, Job, Task
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid, NotFound
from truthset.review.flows import flow_row

# StartHumanLoop's InputContent may be up to 3,145,728 characters (botocore's service model).
MAX_INPUT_CHARS = 3_145_728
_LOOP_NAME = re.compile(r"[a-z0-9](-*[a-z0-9])*")
ENDED = ("Completed", "Failed", "Stopped")


@dataclass(frozen=True)
class LoopInfo:
    name: str
    flow: str
    status: str
    created_at: datetime
    failure_reason: str | None
    output_uri: str | None
    created: bool = False  # False when StartHumanLoop repeated an existing loop


def new_loop_name() -> str:
    """A fresh loop name, for front doors where a name is optional (A2I requires one)."""
    return f"loop-{uuid.uuid4().hex[:16]}"


def _check_name(name: str) -> None:
    if not 1 <= len(name) <= 63 or not _LOOP_NAME.fullmatch(name):
        raise Invalid(
            f"human loop name {name!r} is invalid: use 1-63 lower-case letters, digits and "
            "hyphens, starting and ending with a letter or digit"
        )


def parse_input(content: str) -> dict[str, Any]:
    """InputContent: a JSON object of at most MAX_INPUT_CHARS characters (the template's
    task.input)."""
    if len(content) > MAX_INPUT_CHARS:
        raise Invalid(
            f"HumanLoopInput.InputContent is {len(content)} characters; the limit is "
            f"{MAX_INPUT_CHARS}"
        )
    try:
        value = json.loads(content)
    except json.JSONDecodeError as error:
        raise Invalid(
            f"HumanLoopInput.InputContent is not valid JSON: {error.msg} at line {error.lineno} "
            f"column {error.colno}"
        ) from None
    if not isinstance(value, dict):
        raise Invalid("HumanLoopInput.InputContent must be a JSON object")
    return value


def _digest(value: dict[str, Any]) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# The statements of StartHumanLoop, built once: building SQLAlchemy expressions costs more than
# running them on SQLite (as in db/dispatch_queries.py).
_FLOW_IDS = select(FlowDefinition.id, FlowDefinition.job_id).where(
    FlowDefinition.name == bindparam("p_flow")
)
_SAME_NAME = select(HumanLoop.__table__).where(HumanLoop.name == bindparam("p_name"))
_NEXT_OBJECT = (
    update(Job)
    .where(Job.id == bindparam("p_job"))
    .values(object_count=Job.object_count + 1)
    .returning(Job.object_count)
)
_NEW_OBJECT = insert(DataObject)
_NEW_LOOP = insert(HumanLoop)


def start_loop(dep: Deployment, flow: str, name: str, content: str) -> LoopInfo:
    """Starts a loop. The same name with the same input again is the same loop (a retried
    request); with other input, or under another flow, it is a Conflict, as in A2I."""
    _check_name(name)
    value = parse_input(content)
    digest = _digest(value)
    now = dep.clock.now()
    try:
        with dep.db.write() as conn:
            flow_id, job_id = _flow_ids(conn, flow)
            existing = _same_name(conn, name, flow_id, digest)
            if existing is not None:
                return existing
            # The job row's counter hands out object ids; its row lock orders concurrent starts.
            object_id = int(conn.execute(_NEXT_OBJECT, {"p_job": job_id}).scalar_one()) - 1
            line = json.dumps(value, ensure_ascii=False)
            conn.execute(
                _NEW_OBJECT,
                {"job_id": job_id, "object_id": object_id, "line": line, "state": "queued"},
            )
            conn.execute(
                _NEW_LOOP,
                {
                    "name": name,
                    "flow_id": flow_id,
                    "object_id": object_id,
                    "status": "InProgress",
                    "input_sha256": digest,
                    "created_at": now,
                },
            )
    except IntegrityError:
        # Another request started a loop of that name at the same moment.
        with dep.db.read() as conn:
            existing = _same_name(conn, name, _flow_ids(conn, flow)[0], digest)
        if existing is None:
            raise
        return existing
    return LoopInfo(name, flow, "InProgress", now, None, None, created=True)


def _flow_ids(conn: Connection, flow: str) -> tuple[int, int]:
    row = conn.execute(_FLOW_IDS, {"p_flow": flow}).first()
    if row is None:
        raise NotFound(f"no flow definition named {flow!r}")
    return int(row.id), int(row.job_id)


def _same_name(conn: Connection, name: str, flow_id: int, digest: str) -> LoopInfo | None:
    loop = conn.execute(_SAME_NAME, {"p_name": name}).first()
    if loop is None:
        return None
    if loop.flow_id != flow_id or loop.input_sha256 != digest:
        raise Conflict(
            f"a human loop named {name!r} already exists with different input data or under "
            "another flow definition; loop names are unique"
        )
    return _loop_info(conn, loop)


def _loop_info(conn: Connection, loop: Any) -> LoopInfo:
    flow = conn.scalar(select(FlowDefinition.name).where(FlowDefinition.id == loop.flow_id))
    return LoopInfo(
        loop.name,
        str(flow),
        loop.status,
        loop.created_at,
        loop.failure_reason,
        loop.output_uri,
    )


def _loop_row(conn: Connection, name: str) -> Any:
    loop = conn.execute(select(HumanLoop.__table__).where(HumanLoop.name == name)).first()
    if loop is None:
        raise NotFound(f"no human loop named {name!r}")
    return loop


def describe_loop(dep: Deployment, name: str) -> LoopInfo:
    with dep.db.read() as conn:
        return _loop_info(conn, _loop_row(conn, name))


@dataclass(frozen=True)
class LoopPage:
    loops: list[LoopInfo]
    # (created_at ISO, id) of the last loop shown, when more follow: where the next page starts.
    cursor: tuple[str, int] | None


def list_loops(
    dep: Deployment,
    flow: str,
    after: datetime | None = None,
    before: datetime | None = None,
    ascending: bool = False,
    limit: int = 100,
    cursor: tuple[str, int] | None = None,
) -> LoopPage:
    """A flow's loops by creation time (newest first unless ascending), one page at a time:
    keyset paging, so a page costs the same however many loops the flow has."""
    with dep.db.read() as conn:
        row = flow_row(conn, flow)
        query = select(HumanLoop.__table__).where(HumanLoop.flow_id == row.id)
        if after is not None:
            query = query.where(HumanLoop.created_at > after)
        if before is not None:
            query = query.where(HumanLoop.created_at < before)
        if cursor is not None:
            moment, last_id = datetime.fromisoformat(cursor[0]), cursor[1]
            beyond = (
                or_(
                    HumanLoop.created_at > moment,
                    and_(HumanLoop.created_at == moment, HumanLoop.id > last_id),
                )
                if ascending
                else or_(
                    HumanLoop.created_at < moment,
                    and_(HumanLoop.created_at == moment, HumanLoop.id < last_id),
                )
            )
            query = query.where(beyond)
        order = (
            (HumanLoop.created_at, HumanLoop.id)
            if ascending
            else (HumanLoop.created_at.desc(), HumanLoop.id.desc())
        )
        rows = conn.execute(query.order_by(*order).limit(limit + 1)).all()
        shown = rows[:limit]
        loops = [
            LoopInfo(r.name, row.name, r.status, r.created_at, r.failure_reason, r.output_uri)
            for r in shown
        ]
    more = len(rows) > limit
    return LoopPage(loops, (shown[-1].created_at.isoformat(), shown[-1].id) if more else None)


def _job_of(conn: Connection, loop: Any) -> int:
    return int(
        conn.execute(
            select(FlowDefinition.job_id).where(FlowDefinition.id == loop.flow_id)
        ).scalar_one()
    )


def stop_loop(dep: Deployment, name: str) -> LoopInfo:
    """Asks a loop to stop, as A2I's StopHumanLoop does: the loop is Stopping at once, and the
    background runner's next pass ends its tasks (a worker's late answer is refused with 410),
    takes its object out of circulation and sets it Stopped. Nothing is written to the output."""
    with dep.db.write() as conn:
        loop = _loop_row(conn, name)
        if loop.status != "InProgress":
            raise Invalid(f"human loop {name!r} is {loop.status}; only a loop in progress stops")
        conn.execute(
            update(HumanLoop)
            .where(HumanLoop.id == loop.id, HumanLoop.status == "InProgress")
            .values(status="Stopping")
        )
        info = _loop_info(conn, _loop_row(conn, name))
    dep.wake.set()
    return info


def loop_job(dep: Deployment, name: str) -> int:
    """The id of the job behind a loop's flow (the job the background runner steps)."""
    with dep.db.read() as conn:
        return _job_of(conn, _loop_row(conn, name))


def delete_loop(dep: Deployment, name: str) -> None:
    """Deletes an ended loop with its input, tasks and answers (its output file stays)."""
    with dep.db.write() as conn:
        loop = _loop_row(conn, name)
        if loop.status not in ENDED:
            raise Invalid(
                f"human loop {name!r} is {loop.status}; only a Completed, Failed or Stopped "
                "loop can be deleted (stop it first)"
            )
        job_id = _job_of(conn, loop)
        where = {"job_id": job_id, "object_id": loop.object_id}
        conn.execute(delete(Annotation).filter_by(**where))
        conn.execute(delete(Task).filter_by(**where))
        conn.execute(delete(DataObject).filter_by(**where))
        conn.execute(delete(HumanLoop).where(HumanLoop.id == loop.id))
