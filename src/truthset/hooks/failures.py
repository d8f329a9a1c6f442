"""Bounded retries: a data object a hook failed on is tried again on the runner's next passes,
and after `hook_attempts` failures it is failed for good (FailedNonRetryableError), with the
reason in the job's failures file. The job never waits on it."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import bindparam, update

from truthset import output
from truthset.db.tables import DataObject
from truthset.deployment import Deployment
from truthset.operations.metrics import count_hook_failures

log = logging.getLogger(__name__)

_COUNT = (
    update(DataObject)
    .where(DataObject.job_id == bindparam("p_job"), DataObject.object_id == bindparam("p_object"))
    .values(hook_attempts=DataObject.hook_attempts + 1)
)
_FAIL = (
    update(DataObject)
    .where(
        DataObject.job_id == bindparam("p_job"),
        DataObject.object_id == bindparam("p_object"),
        DataObject.hook_attempts >= bindparam("p_max"),
    )
    .values(
        state="failed",
        failure_reason=bindparam("p_reason"),
        failed_at=bindparam("p_now"),
        leased=0,
    )
)


def record_failures(dep: Deployment, job: Any, failures: dict[int, str]) -> int:
    """Counts one failed attempt per object; returns how many objects failed for good."""
    if not failures:
        return 0
    count_hook_failures(job.name, len(failures))
    attempts = dep.settings.hook_attempts
    now = dep.clock.now()
    params = [
        {
            "p_job": job.id,
            "p_object": object_id,
            "p_max": attempts,
            "p_reason": f"{reason} (after {attempts} attempts)"[:1024],
            "p_now": now,
        }
        for object_id, reason in failures.items()
    ]
    with dep.db.write() as conn:
        conn.execute(_COUNT, [{"p_job": p["p_job"], "p_object": p["p_object"]} for p in params])
        failed = sum(conn.execute(_FAIL, [p]).rowcount for p in params)
    first = next(iter(failures.items()))
    log.warning(
        "job %s: a hook failed on %d objects (object %s: %s)", job.name, len(failures), *first
    )
    if failed:
        output.write_failures(dep, job)
    return failed
