"""Failed data objects of a job: the one listing that job describe, the console's failure
list, the REST route `GET /jobs/{name}/failures` and `failures.jsonl` all give, so they never
disagree on what failed, where and why."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from truthset.db.tables import DataObject
from truthset.deployment import Deployment

# The state of a message from a streaming job's queue that the intake refused: no manifest line,
# so not in the output manifest; counted in FailedNonRetryableError and listed in failures.jsonl
# with failed objects.
REFUSED = "refused"
FAILED_STATES = ("failed", REFUSED)

# Where an object failed, read from the start of the reason each step writes (hooks/post.py,
# background/prehooks.py, web/media.py, review/progress.py); anything else failed in labeling
# (no answers, declined by every worker, the task availability ran out).
_STEPS = (
    ("pre-annotation hook", "pre-annotation hook"),
    ("post-annotation hook", "post-annotation hook"),
    ("media cannot be read", "media"),
    ("output not written", "output"),
)
# Steps whose retries the object counts (hook_attempts; media_failures for media reads).
_RETRIED = {"pre-annotation hook", "post-annotation hook", "output"}


@dataclass(frozen=True)
class FailedObject:
    object_id: int
    source: str | None
    source_ref: str | None
    reason: str
    step: str  # pre-annotation hook | post-annotation hook | media | output | intake | labeling
    attempts: int
    failed_at: datetime | None  # None for objects that failed before truthset recorded it
    line: dict[str, Any]  # the manifest line (a refused message: what was kept of it)

    def as_file_line(self) -> dict[str, Any]:
        """One line of failures.jsonl (Ground Truth-style keys)."""
        return {
            "datasetObjectId": str(self.object_id),
            "failureReason": self.reason,
            "failedStep": self.step,
            "attempts": self.attempts,
            "failedAt": None if self.failed_at is None else self.failed_at.isoformat() + "Z",
            "dataObject": self.line,
        }


def failure_step(state: str, reason: str) -> str:
    if state == REFUSED:
        return "intake"
    return next((step for prefix, step in _STEPS if reason.startswith(prefix)), "labeling")


def failed_objects(
    dep: Deployment, job_id: int, after: int = -1, limit: int | None = 10
) -> list[FailedObject]:
    """The failed objects of a job with object ids above `after`, in object-id order, at most
    `limit` (None: all)."""
    query = (
        select(
            DataObject.object_id,
            DataObject.state,
            DataObject.line,
            DataObject.failure_reason,
            DataObject.hook_attempts,
            DataObject.media_failures,
            DataObject.failed_at,
        )
        .where(
            DataObject.job_id == job_id,
            DataObject.state.in_(FAILED_STATES),
            DataObject.object_id > after,
        )
        .order_by(DataObject.object_id)
    )
    with dep.db.read() as conn:
        rows = conn.execute(query if limit is None else query.limit(limit)).all()
    return [_failed_object(row) for row in rows]


def _failed_object(row: Any) -> FailedObject:
    reason = row.failure_reason or ""
    step = failure_step(row.state, reason)
    line = json.loads(row.line)
    if step in _RETRIED:
        attempts = int(row.hook_attempts)
    elif step == "media":
        attempts = max(1, int(row.media_failures))
    else:
        attempts = 1
    return FailedObject(
        object_id=int(row.object_id),
        source=_text(line, "source"),
        source_ref=_text(line, "source-ref"),
        reason=reason,
        step=step,
        attempts=attempts,
        failed_at=row.failed_at,
        line=line,
    )


def _text(line: Any, key: str) -> str | None:
    value = line.get(key) if isinstance(line, dict) else None
    return value if isinstance(value, str) else None
