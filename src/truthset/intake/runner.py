"""A streaming job's share of a background pass: read its queue, send its output lines, and
stop it once it has been idle for the configured time (Ground Truth: 10 days)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy import select, update

from truthset.db.tables import Job
from truthset.deployment import Deployment
from truthset.intake.options import streaming_options, topic_region
from truthset.intake.publish import deliver_lines, queue_labeled
from truthset.intake.sqs import poll
from truthset.jobs import UNFINISHED, has_objects_in

log = logging.getLogger(__name__)


def is_streaming(job: Any) -> bool:
    return streaming_options(json.loads(job.options)) is not None


def step(dep: Deployment, job: Any) -> None:
    """Safe to repeat; the caller holds the job's runner lease."""
    stream = streaming_options(json.loads(job.options))
    if stream is None:
        return
    now = dep.clock.now()
    # A stopping job's last output lines go out in its final pass, whatever the spacing.
    due = dep.throttle.due(("stream", job.id), now, dep.settings.stream_poll_interval)
    if job.status == "InProgress" and not due:
        return
    empty = True
    if job.status == "InProgress" and stream.get("queue_url"):
        try:
            _added, empty = poll(dep, job, stream["queue_url"], topic_region(stream["input_topic"]))
        except (ClientError, BotoCoreError) as error:
            log.warning("job %s: reading queue %s failed: %s", job.name, stream["queue_url"], error)
            empty = False
    if stream.get("output_topic") or stream.get("webhook"):
        # Queued here, in the job's pass; also delivered by every runner pass once it ended.
        queue_labeled(dep, job, stream)
        deliver_lines(dep, job.id)
    if job.status == "InProgress" and empty:
        _stop_if_idle(dep, job.id)


def _stop_if_idle(dep: Deployment, job_id: int) -> None:
    now = dep.clock.now()
    with dep.db.read() as conn:
        job = conn.execute(select(Job.__table__).where(Job.id == job_id)).one()
        busy = conn.scalar(select(has_objects_in(job_id, UNFINISHED)))
    last = job.last_input_at or job.created_at
    if busy or now - last < timedelta(seconds=dep.settings.stream_idle_seconds):
        return
    log.info(
        "job %s: no input for %s seconds; stopping", job.name, dep.settings.stream_idle_seconds
    )
    with dep.db.write() as conn:
        conn.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "InProgress")
            .values(status="Stopping", updated_at=now)
        )
    dep.wake.set()
