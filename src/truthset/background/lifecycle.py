"""One pass of work on one job: the steps that move it through its lifecycle."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, exists, func, select, update

from truthset import adaptive, output
from truthset.background import autolabeling, model_workers, prehooks
from truthset.background.labeling import consolidate_answered
from truthset.db.tables import DataObject, Job, Task, TeamMember, User
from truthset.deployment import Deployment
from truthset.dicom import ahead as dicom_ahead
from truthset.dispatch import close_object, expire_leases
from truthset.errors import StorageError
from truthset.hooks import gold as gold_hook
from truthset.intake import runner as intake
from truthset.jobs import UNFINISHED, counters, has_objects_in, import_objects
from truthset.notifications import events
from truthset.review import progress as review_progress
from truthset.review.flows import is_flow_job

log = logging.getLogger(__name__)


MODEL_WORKER_INTERVAL = 2.0


class OutputSchedule:
    """When a running job's output manifest is rewritten next: at most every output_interval,
    and never more often than ten times the last rewrite took, so that rewriting a million-line
    manifest (several seconds) takes at most a tenth of the runner's time instead of all of it."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[datetime, float]] = {}

    def due(self, job_id: int, now: datetime, interval: float) -> bool:
        last, seconds = self._last.get(job_id, (datetime.min, 0.0))
        return now - last >= timedelta(seconds=max(interval, 10 * seconds))

    def wrote(self, job_id: int, at: datetime, seconds: float) -> None:
        self._last[job_id] = (at, seconds)


def needs_work(dep: Deployment, job_id: int, now: datetime) -> bool:
    """Whether a pass over the job would change anything (read-only, cheap: it runs often)."""
    with dep.db.read() as conn:
        job = conn.execute(select(Job.__table__).where(Job.id == job_id)).one()
    if is_flow_job(job):  # open-ended: it never completes, its loops have their own rules
        return review_progress.needs_work(dep, job, now)
    with dep.db.read() as conn:
        if job.status != "InProgress" or job.label_version > job.written_version:
            return True
        if intake.is_streaming(job):
            return True  # its queue and output lines are checked on every pass (throttled)
        cutoff = now - timedelta(seconds=job.task_availability)
        objects = DataObject.job_id == job_id
        checks = [
            has_objects_in(job_id, ("answered", "held", "prehook")),
            *_undecided_check(job),
            exists().where(objects, DataObject.state == "open", DataObject.opened_at <= cutoff),
            exists().where(Task.job_id == job_id, Task.status == "leased", Task.expires_at <= now),
            ~has_objects_in(job_id, UNFINISHED),
        ]
        # A model worker of the team may have work: open objects it has not answered. Asked
        # every few seconds only: while any object is open it says yes, and a pass over the
        # job takes its runner lease (two writes) even when the models have nothing to do.
        if dep.throttle.due(("model-workers", job_id), now, MODEL_WORKER_INTERVAL):
            checks.append(
                exists().where(
                    TeamMember.team_id == job.team_id,
                    TeamMember.user_id == User.id,
                    User.model_hook.is_not(None),
                )
                & has_objects_in(job_id, ("open", "queued"))
            )
        return any(conn.scalar(select(check)) for check in checks)


def _undecided_check(job: Any) -> list[Any]:
    """Adaptive jobs: an object whose decision was interrupted (truthset.adaptive)."""
    options = json.loads(job.options or "{}").get("adaptive")
    if not options:
        return []
    want = func.coalesce(DataObject.wanted, int(options["min_workers_per_object"]))
    return [
        exists().where(
            DataObject.job_id == job.id,
            DataObject.state == "open",
            DataObject.leased == 0,
            DataObject.answers >= want,
            DataObject.answers < job.workers_per_object,
        )
    ]


def step_job(dep: Deployment, job_id: int, owner: str, schedule: OutputSchedule) -> None:
    """Does whatever the job needs now. Safe to repeat; the caller holds the job's runner lease."""
    with dep.db.read() as conn:
        job = conn.execute(select(Job.__table__).where(Job.id == job_id)).one()
    if job.status == "Initializing":
        import_objects(dep, job_id, owner)
        return
    if is_flow_job(job):
        review_progress.step(dep, job)
        return
    now = dep.clock.now()
    with dep.db.write() as conn:
        expire_leases(conn, now, job_id)
        if job.status == "InProgress":
            _expire_availability(conn, job, now)
        else:
            _wind_down(conn, job, now)
    if job.status == "InProgress":
        adaptive.step(dep, job)
        dicom_ahead.step(dep, job)
    gold_hook.step(dep, job)  # also while winding down: answers already in get their scores
    with dep.db.read() as conn:
        out_with_workers = conn.scalar(select(has_objects_in(job_id, ("queued", "open"))))
    # Spacing of whole-job passes is skipped when nothing else can arrive: the job ends now.
    consolidate_answered(dep, job, force=job.status == "Stopping" or not out_with_workers)
    if job.status == "InProgress":
        prehooks.step(dep, job)
        model_workers.step(dep, job)
        autolabeling.step(dep, job)
        _apply_stopping_conditions(dep, job)
    intake.step(dep, job)
    _finish_or_write(dep, job_id, schedule, job.status)


def _apply_stopping_conditions(dep: Deployment, job: Any) -> None:
    """Ground Truth's StoppingConditions: stop once enough objects are labeled."""
    options = json.loads(job.options)
    if intake.is_streaming(job):
        return  # Ground Truth ignores StoppingConditions for streaming jobs
    max_human = options.get("max_human_labeled")
    max_percent = options.get("max_percent_labeled")
    if max_human is None and max_percent is None:
        return
    # Counting every object's state is the costly part on a large job: spaced like output.
    if not dep.throttle.due(("stopping", job.id), dep.clock.now(), dep.settings.output_interval):
        return
    with dep.db.read() as conn:
        counted = counters(conn, job.id)
    labeled_percent = 100 * counted.total_labeled / max(1, job.object_count)
    if not counted.unlabeled:
        return  # the job completes on its own
    if (max_human is not None and counted.human_labeled >= max_human) or (
        max_percent is not None and labeled_percent >= max_percent
    ):
        with dep.db.write() as conn:
            stopping = conn.execute(
                update(Job)
                .where(Job.id == job.id, Job.status == "InProgress")
                .values(status="Stopping", updated_at=dep.clock.now())
            )
            if stopping.rowcount == 1:
                events.status_changed(conn, dep, job.id, "Stopping")
        dep.wake.set()


def _expire_availability(conn: Connection, job: Any, now: datetime) -> None:
    """Objects out longer than the task availability close with the answers they have."""
    cutoff = now - timedelta(seconds=job.task_availability)
    rows = conn.execute(
        select(DataObject.object_id, DataObject.answers).where(
            DataObject.job_id == job.id, DataObject.state == "open", DataObject.opened_at <= cutoff
        )
    ).all()
    for object_id, answers in rows:
        _end_object_leases(conn, job.id, object_id, now)
        if answers:
            close_object(conn, job.id, object_id, "answered")
        else:
            close_object(
                conn,
                job.id,
                object_id,
                "failed",
                "no worker answered within the task availability lifetime",
                now,
            )


def _end_object_leases(conn: Connection, job_id: int, object_id: int, now: datetime) -> None:
    conn.execute(
        update(Task)
        .where(Task.job_id == job_id, Task.object_id == object_id, Task.status == "leased")
        .values(status="expired", ended_at=now)
    )
    conn.execute(
        update(DataObject)
        .where(DataObject.job_id == job_id, DataObject.object_id == object_id)
        .values(leased=0)
    )


def _wind_down(conn: Connection, job: Any, now: datetime) -> None:
    """A stopping job: end every lease; objects with answers are consolidated, the rest stay unlabeled."""
    conn.execute(
        update(Task)
        .where(Task.job_id == job.id, Task.status == "leased")
        .values(status="expired", ended_at=now)
    )
    conn.execute(
        update(DataObject)
        .where(DataObject.job_id == job.id, DataObject.state == "open", DataObject.answers > 0)
        .values(state="answered", leased=0)
    )
    conn.execute(
        update(DataObject)
        .where(DataObject.job_id == job.id, DataObject.state == "open")
        .values(state="queued", leased=0, opened_at=None)
    )
    conn.execute(update(Job).where(Job.id == job.id).values(open_count=0))


def _finish_or_write(
    dep: Deployment, job_id: int, schedule: OutputSchedule, started_as: str
) -> None:
    """Writes the output when due, and ends the job when it is done. Only a pass that began
    with the job Stopping may end it as Stopped: that pass has wound its leases down."""
    with dep.db.read() as conn:
        job = conn.execute(select(Job.__table__).where(Job.id == job_id)).one()
        left = conn.scalar(select(has_objects_in(job_id, UNFINISHED)))
    now = dep.clock.now()
    # A streaming job never runs out of objects: it ends when stopped (or idle, intake.runner).
    completed = started_as == job.status == "InProgress" and not left
    completed = completed and not intake.is_streaming(job)
    ending = completed or started_as == job.status == "Stopping"
    due = schedule.due(job_id, now, dep.settings.output_interval)
    if ending or (job.label_version > job.written_version and due):
        started = time.monotonic()
        try:
            output.write_manifest(dep, job)
        except StorageError as error:
            _note_failure(dep, job_id, f"output not written: {error.message}")
            return
        schedule.wrote(job_id, now, time.monotonic() - started)
    values: dict[str, Any] = {"written_version": job.label_version}
    if ending:
        values.update(
            status="Completed" if job.status == "InProgress" else "Stopped",
            ended_at=now,
            updated_at=now,
        )
    with dep.db.write() as conn:
        moved = conn.execute(
            update(Job).where(Job.id == job_id, Job.status == job.status).values(**values)
        )
        if ending and moved.rowcount == 1:
            events.status_changed(conn, dep, job_id, values["status"])


def _note_failure(dep: Deployment, job_id: int, reason: str) -> None:
    log.warning("job %s: %s", job_id, reason)
    with dep.db.write() as conn:
        conn.execute(update(Job).where(Job.id == job_id).values(failure_reason=reason[:1024]))
