"""Adaptive workers per object in a custom job: the post-annotation hook is the judge.

A custom job's answers have no shape truthset can model, so its stopping rule is the job's own
consolidation: when an object has the answers it was wanted for, its post-annotation hook is
called on them (the same event and consolidation-request file as the job's consolidation), and
the object is done when the label it returns carries a ``confidence`` at or above the job's
target: ``{"<label attribute>": {..., "confidence": 0.97}}``. A label without a number there, a
hook that fails or times out, or no label for the object: one more worker, up to the maximum
(where the answer statement closes the object whatever the hook says). The hook that judges is
called again by the job's consolidation once the object is closed.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select

from truthset.background.labeling import load_answers
from truthset.db.tables import DataObject, Job
from truthset.deployment import Deployment
from truthset.hooks.post import PostRun, post_hook
from truthset.tasktypes.base import ObjectAnswers

log = logging.getLogger(__name__)


def hook_confidence(dep: Deployment, job_id: int, object_id: int) -> float | None:
    """The confidence the post-annotation hook gives the object's answers so far, or None when
    it gives none (no number, a failure, no label for the object)."""
    with dep.db.read() as conn:
        job = conn.execute(select(Job.__table__).where(Job.id == job_id)).one()
        line = conn.scalar(
            select(DataObject.line).where(
                DataObject.job_id == job_id, DataObject.object_id == object_id
            )
        )
        answers = load_answers(conn, job_id, [object_id]).get(object_id, [])
    if line is None or not answers:
        return None
    run = PostRun()
    call = post_hook(dep, job, dep.clock.now(), run)
    if call is None:
        return None
    found = call([ObjectAnswers(object_id, json.loads(line), answers)])
    if run.failures:
        log.warning("post-annotation hook of job %s: %s", job_id, run.failures[object_id])
    return _confidence(found.get(object_id))


def _confidence(label: Any) -> float | None:
    value = label.get("confidence") if isinstance(label, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
