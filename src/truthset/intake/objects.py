"""New objects for a running streaming job: checked as at job creation, de-duplicated, stored.

An object counts as received only once its transaction commits; every front door (REST, CLI,
SQS) acknowledges after `store` returns, so a crash loses nothing that was acknowledged.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from truthset import manifests
from truthset.db.tables import DataObject, Job
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid, NotFound, NotReady
from truthset.failures import REFUSED
from truthset.intake.options import streaming_options
from truthset.jobs import job_spec, object_checker
from truthset.tasktypes.registry import task_type

# Section 9.2: a line names the attribute that holds its de-duplication id.
DEDUP_ATTRIBUTE = "dataset-objectid-attribute-name"
_DEDUP_NAME = re.compile(r"[$a-zA-Z0-9](-*[a-zA-Z0-9])*")
MAX_DEDUP_ID = 1024
MAX_REQUEST_LINES = 100_000


@dataclass(frozen=True)
class Arrival:
    """One object as it arrived: its manifest line and the id Ground Truth would give it when
    the line names none (the SNS message id, or the S3 URI and event sequencer)."""

    line: dict[str, Any]
    default_id: str | None = None


@dataclass(frozen=True)
class Refused:
    """A message from the job's queue the intake refused: stored as an object in the state
    REFUSED (counted in FailedNonRetryableError, listed with its reason in the failures, left
    out of the output manifest), so the message may leave the queue once that is committed.
    `message_id` keeps a redelivered message from being counted twice."""

    line: dict[str, Any]
    reason: str
    message_id: str


@dataclass(frozen=True)
class Stored:
    added: int
    duplicates: int
    refused: int = 0


def streaming_job(dep: Deployment, name: str) -> Any:
    """The job row of a streaming job that takes objects now."""
    with dep.db.read() as conn:
        row = conn.execute(select(Job.__table__).where(Job.name_key == name.lower())).first()
    if row is None:
        raise NotFound(f"no labeling job named {name!r}")
    if streaming_options(json.loads(row.options)) is None:
        raise Conflict(f"labeling job {name!r} is not a streaming job; chain it to add objects")
    _check_running(row)
    return row


def _check_running(row: Any) -> None:
    if row.status == "Initializing":
        raise NotReady(f"labeling job {row.name!r} is still storing its starting manifest")
    if row.status != "InProgress":
        raise Conflict(f"labeling job {row.name!r} is {row.status} and takes no new objects")


def line_checker(dep: Deployment, job: Any) -> Callable[[str, int], dict[str, Any]]:
    """Checks one line as job creation checks a manifest line; raises Invalid naming it."""
    kind = task_type(job.task_type)
    keys = getattr(kind, "input_keys", (kind.input_key,))
    check_object = object_checker(kind, job_spec(job))

    def check(text: str, number: int) -> dict[str, Any]:
        parsed = manifests.parse_line(text, number, keys, dep.storage.check_readable)
        try:
            check_object(parsed)
            _check_dedup_name(parsed)
        except Invalid as error:
            raise Invalid(f"line {number}: {error.message}") from None
        return parsed

    return check


def parse_body(dep: Deployment, job: Any, data: bytes) -> list[Arrival]:
    """A JSON Lines body, every line checked; any bad line refuses the whole body."""
    check = line_checker(dep, job)
    arrivals: list[Arrival] = []
    problems: list[str] = []
    for number, text, problem in manifests.read_lines(io.BytesIO(data)):
        if number > MAX_REQUEST_LINES:
            raise Invalid(f"at most {MAX_REQUEST_LINES} lines per request")
        if text is None:
            problems.append(problem or f"line {number}: unreadable")
            continue
        try:
            arrivals.append(Arrival(check(text, number)))
        except Invalid as error:
            problems.append(error.message)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise Invalid(f"{len(problems)} bad line(s){more}; first: {problems[0]}", problems[:100])
    if not arrivals:
        raise Invalid("no objects given: send one JSON object per line")
    return arrivals


def add_lines(dep: Deployment, name: str, data: bytes) -> Stored:
    """Checks a JSON Lines body and stores its objects (nothing stored if a line is bad)."""
    job = streaming_job(dep, name)
    return store(dep, job, parse_body(dep, job, data))


def _check_dedup_name(line: dict[str, Any]) -> None:
    key = line.get(DEDUP_ATTRIBUTE)
    if key is None:
        return
    if not isinstance(key, str) or len(key) > 140 or not _DEDUP_NAME.fullmatch(key):
        raise Invalid(f"{DEDUP_ATTRIBUTE} must be an attribute name of at most 140 characters")
    value = line.get(key)
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value):
        raise Invalid(f"{DEDUP_ATTRIBUTE} names {key!r}, which must hold the object's id")
    if len(str(value)) > MAX_DEDUP_ID:
        raise Invalid(f"{key}: a de-duplication id is at most {MAX_DEDUP_ID} characters")


def dedup_id(arrival: Arrival, label_attribute_name: str) -> tuple[dict[str, Any], str | None]:
    """The line as stored and its de-duplication id (None: never a duplicate). A default id is
    written into the line as Ground Truth writes it into the output."""
    line = arrival.line
    key = line.get(DEDUP_ATTRIBUTE)
    if key is not None:
        return line, str(line[key])
    if arrival.default_id is None:
        return line, None
    attribute = f"{label_attribute_name}-object-id"
    return {**line, DEDUP_ATTRIBUTE: attribute, attribute: arrival.default_id}, arrival.default_id


def _key(dedup: str) -> str:
    return hashlib.sha256(dedup.encode()).hexdigest()


def store(
    dep: Deployment, job: Any, arrivals: list[Arrival], refused: Sequence[Refused] = ()
) -> Stored:
    """Stores new objects, and refused messages as failed objects, in one transaction;
    duplicates of stored objects (and refusals already recorded) are left out."""
    options = json.loads(job.options)
    stream = streaming_options(options) or {}
    publishes = bool(stream.get("output_topic") or stream.get("webhook"))
    first_state = "prehook" if options.get("pre_hook") is not None else "queued"
    now = dep.clock.now()
    with dep.db.write() as conn:
        # Updating the job row first serializes concurrent adders (a row lock on PostgreSQL,
        # the write lock on SQLite): object ids and de-duplication checks cannot race.
        locked = conn.execute(
            update(Job)
            .where(Job.id == job.id, Job.status == "InProgress")
            .values(last_input_at=now, updated_at=now)
        )
        if locked.rowcount == 0:
            raise Conflict(f"labeling job {job.name!r} is no longer running")
        rows = _new_rows(conn, job, arrivals, first_state, publishes)
        rows += _refused_rows(conn, job, refused, _next_id(rows), now)
        if rows:
            conn.execute(insert(DataObject), rows)
            labeled = sum(1 for row in rows if row["gold"] is None)
            conn.execute(
                update(Job).where(Job.id == job.id).values(object_count=Job.object_count + labeled)
            )
    dep.wake.set()
    refusals = sum(1 for row in rows if row["state"] == REFUSED)
    return Stored(len(rows) - refusals, len(arrivals) + len(refused) - len(rows), refusals)


def _next_id(rows: list[dict[str, Any]]) -> int | None:
    return int(rows[-1]["object_id"]) + 1 if rows else None


def _seen_keys(conn: Connection, job_id: int, keys: list[str]) -> set[str | None]:
    seen: set[str | None] = set()
    for start in range(0, len(keys), 900):
        seen.update(
            conn.scalars(
                select(DataObject.dedup_key).where(
                    DataObject.job_id == job_id, DataObject.dedup_key.in_(keys[start : start + 900])
                )
            )
        )
    return seen


def _last_object_id(conn: Connection, job_id: int) -> int:
    last = conn.scalar(select(func.max(DataObject.object_id)).where(DataObject.job_id == job_id))
    return -1 if last is None else int(last)


def _refused_rows(
    conn: Connection, job: Any, refused: Sequence[Refused], next_id: int | None, now: datetime
) -> list[dict[str, Any]]:
    """Failed objects for refused messages, keyed apart from objects' de-duplication ids."""
    if not refused:
        return []
    keys = [_key(f"refused:{item.message_id}") for item in refused]
    seen = _seen_keys(conn, job.id, sorted(set(keys)))
    object_id = _last_object_id(conn, job.id) + 1 if next_id is None else next_id
    rows = []
    for item, key in zip(refused, keys, strict=True):
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "job_id": job.id,
                "object_id": object_id,
                "line": json.dumps(item.line, ensure_ascii=False),
                "state": REFUSED,
                "failure_reason": item.reason[:1024],
                "failed_at": now,
                "gold": None,
                "dedup_key": key,
                "published": None,
            }
        )
        object_id += 1
    return rows


def _new_rows(
    conn: Connection, job: Any, arrivals: list[Arrival], first_state: str, publishes: bool
) -> list[dict[str, Any]]:
    prepared = []
    for arrival in arrivals:
        line, dedup = dedup_id(arrival, job.label_attribute_name)
        prepared.append((line, None if dedup is None else _key(dedup)))
    keys = sorted({key for _line, key in prepared if key is not None})
    seen = _seen_keys(conn, job.id, keys)
    next_id = _last_object_id(conn, job.id)
    rows = []
    for line, key in prepared:
        if key is not None and key in seen:
            continue
        seen.add(key)
        seen.discard(None)
        next_id += 1
        gold = line.get(manifests.GOLD_KEY)
        rows.append(
            {
                "job_id": job.id,
                "object_id": next_id,
                "line": json.dumps(line, ensure_ascii=False),
                "state": first_state if gold is None else "gold",
                "failure_reason": None,
                "failed_at": None,
                "gold": None if gold is None else json.dumps(gold),
                "dedup_key": key,
                "published": False if publishes and gold is None else None,
            }
        )
    return rows
