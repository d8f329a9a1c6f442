"""A custom job's gold hook: scores each answer to a gold question (0 to 1) instead of the exact
match, run by the background runner after the answer is stored, so a worker submitting never
waits for it. A hook that fails on an answer leaves the answer stored and its score unknown,
with the reason recorded on the answer (and in the log and the hook-failure metric).

Event (one answer, shaped like an entry of Ground Truth's post-annotation payload):
    {"version": "2018-10-16", "labelingJobArn": ..., "labelAttributeName": ..., "roleArn": ...,
     "payload": {"datasetObjectId": "4", "dataObject": {<manifest line>},
                 "annotations": [{"workerId": ..., "annotationData": {"content": "<JSON>"}}],
                 "goldAnswer": <the line's truthset-gold value>}}
Response: {"score": <number from 0 to 1>}.
"""

from __future__ import annotations

import json
import logging
import math
import time
from typing import Any

from sqlalchemy import bindparam, select, update

from truthset.db.tables import Annotation, DataObject, User
from truthset.deployment import Deployment
from truthset.hooks.events import VERSION, BadResponse, labeling_job_arn
from truthset.hooks.post import role_arn
from truthset.hooks.targets import open_hook
from truthset.operations.metrics import count_hook_failures

log = logging.getLogger(__name__)
BATCH = 200
# As the pre-annotation step: a slow hook cannot hold the runner's lease on the job for long.
STEP_SECONDS = 10.0

_SCORED = (
    update(Annotation)
    .where(Annotation.id == bindparam("p_id"))
    .values(gold_score=bindparam("p_score"), gold_error=bindparam("p_error"))
)


def gold_event(dep: Deployment, job: Any, row: Any) -> dict[str, Any]:
    return {
        "version": VERSION,
        "labelingJobArn": labeling_job_arn(dep.settings, job.name),
        "labelAttributeName": job.label_attribute_name,
        "roleArn": role_arn(dep, json.loads(job.options)),
        "payload": {
            "datasetObjectId": str(row.object_id),
            "dataObject": json.loads(row.line),
            "annotations": [
                {"workerId": row.worker_id, "annotationData": {"content": row.content}}
            ],
            "goldAnswer": json.loads(row.gold),
        },
    }


def parse_score(value: Any) -> float:
    """`{"score": 0..1}`; anything else says what is wrong."""
    if not isinstance(value, dict) or "score" not in value:
        raise BadResponse('the gold hook must answer an object with "score"')
    score = value["score"]
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise BadResponse(f"score must be a number from 0 to 1, got {score!r}")
    if not 0 <= score <= 1:
        raise BadResponse(f"score must be from 0 to 1, got {score}")
    return float(score)


def step(dep: Deployment, job: Any) -> None:
    """Scores the job's answers to gold questions that the gold hook has not seen yet."""
    if job.task_type != "custom":
        return
    spec = json.loads(job.options).get("gold_hook")
    if spec is None:
        return
    started = time.monotonic()
    while time.monotonic() - started < STEP_SECONDS:
        rows = _unscored(dep, job.id)
        if not rows:
            return
        _score(dep, job, spec, rows, started)


def _unscored(dep: Deployment, job_id: int) -> list[Any]:
    with dep.db.read() as conn:
        return list(
            conn.execute(
                select(
                    Annotation.id,
                    Annotation.object_id,
                    Annotation.content,
                    User.worker_id,
                    DataObject.line,
                    DataObject.gold,
                )
                .join(User, User.id == Annotation.user_id)
                .join(
                    DataObject,
                    (DataObject.job_id == Annotation.job_id)
                    & (DataObject.object_id == Annotation.object_id),
                )
                .where(
                    Annotation.job_id == job_id,
                    DataObject.gold.is_not(None),
                    Annotation.gold_score.is_(None),
                    Annotation.gold_error.is_(None),
                )
                .order_by(Annotation.id)
                .limit(BATCH)
            ).all()
        )


def _score(
    dep: Deployment, job: Any, spec: dict[str, Any], rows: list[Any], started: float
) -> None:
    results: list[dict[str, Any]] = []
    with open_hook(dep, spec) as hook:
        for row in rows:
            if results and time.monotonic() - started >= STEP_SECONDS:
                break
            outcome = hook.invoke(gold_event(dep, job, row))
            try:
                if outcome.error is not None:
                    raise BadResponse(outcome.error)
                results.append(
                    {"p_id": row.id, "p_score": parse_score(outcome.value), "p_error": None}
                )
            except BadResponse as error:
                reason = f"gold hook: {error}"[:1024]
                results.append({"p_id": row.id, "p_score": None, "p_error": reason})
    failed = [r for r in results if r["p_error"] is not None]
    if failed:
        count_hook_failures(job.name, len(failed))
        log.warning(
            "job %s: the gold hook failed on %d answers (%s); their scores are unknown",
            job.name,
            len(failed),
            failed[0]["p_error"],
        )
    with dep.db.write() as conn:
        conn.execute(_SCORED, results)
