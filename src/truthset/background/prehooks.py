"""The pre-annotation hook of a custom job, run by the background runner ahead of dispatch.

Objects of such a job are stored in state `prehook`. This step sends each one's manifest line
to the hook, stores the returned taskInput on the object and moves it on: to `queued` (or
`gold`) for workers, or to `skipped` when the hook says no human is needed. Dispatch only ever
sees objects that are ready, so a worker asking for a task never waits for a hook.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import bindparam, select, update

from truthset.db.tables import DataObject
from truthset.deployment import Deployment
from truthset.hooks.events import BadResponse, labeling_job_arn, parse_pre, pre_event
from truthset.hooks.failures import record_failures
from truthset.hooks.targets import open_hook

BATCH = 500
# A step stops taking new objects after this long, so a slow hook cannot hold the runner (and
# its lease on the job) for long; the rest wait for the next pass.
STEP_SECONDS = 10.0

_READY = (
    update(DataObject)
    .where(
        DataObject.job_id == bindparam("p_job"),
        DataObject.object_id == bindparam("p_object"),
        DataObject.state == "prehook",
    )
    .values(state=bindparam("p_state"), task_input=bindparam("p_input"))
)


def step(dep: Deployment, job: Any) -> None:
    """Runs the job's pre-annotation hook on objects still waiting for it."""
    if job.task_type != "custom":
        return
    spec = json.loads(job.options).get("pre_hook")
    if spec is None:
        return
    started = time.monotonic()
    while time.monotonic() - started < STEP_SECONDS:
        with dep.db.read() as conn:
            rows = conn.execute(
                select(DataObject.object_id, DataObject.line, DataObject.gold)
                .where(DataObject.job_id == job.id, DataObject.state == "prehook")
                # Gold objects first: dispatch learns once whether a job has gold questions.
                .order_by(DataObject.gold.is_(None), DataObject.hook_attempts, DataObject.object_id)
                .limit(BATCH)
            ).all()
        if not rows or not _run_batch(dep, job, spec, rows, started):
            return


def _run_batch(dep: Deployment, job: Any, spec: dict[str, Any], rows: Any, started: float) -> bool:
    """Runs the hook on one batch; returns whether the step may go on with another."""
    arn = labeling_job_arn(dep.settings, job.name)
    ready: list[dict[str, Any]] = []
    failures: dict[int, str] = {}
    with open_hook(dep, spec) as hook:
        for row in rows:
            if time.monotonic() - started >= STEP_SECONDS:
                break
            outcome = hook.invoke(pre_event(arn, json.loads(row.line)))
            try:
                if outcome.error is not None:
                    raise BadResponse(outcome.error)
                answer = parse_pre(outcome.value)
            except BadResponse as error:
                failures[row.object_id] = f"pre-annotation hook: {error}"
                continue
            state = (
                ("gold" if row.gold is not None else "queued")
                if answer.human_required
                else "skipped"
            )
            ready.append(
                {
                    "p_job": job.id,
                    "p_object": row.object_id,
                    "p_state": state,
                    "p_input": answer.task_input,
                }
            )
    if ready:
        with dep.db.write() as conn:
            conn.execute(_READY, ready)
        dep.job_records.pop(("gold", job.id), None)  # gold objects may have become ready
    record_failures(dep, job, failures)
    # Only failures left: try them again on a later pass, not at once.
    return bool(ready) and len(ready) + len(failures) == len(rows)
