"""Sending a labeled object back to the job's workers for more answers (results explorer, REST).

The object opens again, offered for `more` answers on top of those it has, by workers of the
job's team who have not been given it before (each worker answers an object at most once). Its
`wanted` count carries the new total: the lease's condition `answers + leased < COALESCE(wanted,
n)` and the answer's closing count (`dispatch.answers.answers_to_close`) use it as for an
adaptive job's object. When the answers are in, consolidation labels it again from all of them.

Choices (docs/results.md):

* Ground Truth has no way back for an ended job. A *Completed* job goes back to InProgress (its
  output manifest is rewritten when it completes again); a job Stopping, Stopped or Failed
  cannot take answers any more: 409.
* The label is cleared while the object waits, and so is an admin's override: asking the crowd
  again is pointless if the admin's label would stay on top of their answers. The audit entry
  `object.sent_back` records the cleared override (`cleared_override`), so nothing is lost
  silently.
* In an adaptive job the stopping rule still judges the object once it has the answers it was
  sent back for, and may ask for more, up to the job's workers per object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, update

from truthset import audit
from truthset.db.tables import DataObject, Job, Task, TeamMember, User
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid, NotFound
from truthset.notifications import events
from truthset.review.flows import is_flow_job

# The states of an object that has a label to send back.
SENDABLE = ("labeled", "autolabeled")
# Job states that take answers again after a send-back (a Completed job re-opens).
REOPENS = ("InProgress", "Completed")


@dataclass(frozen=True)
class SentBack:
    job: str
    object_id: int
    answers: int  # answers the object has
    wanted: int  # answers it is offered for now
    job_status: str


def free_workers(conn: Connection, team_id: int, job_id: int, object_id: int) -> int:
    """Workers of the team, not disabled, who were never given this object."""
    given = select(Task.user_id).where(Task.job_id == job_id, Task.object_id == object_id)
    return int(
        conn.scalar(
            select(func.count())
            .select_from(TeamMember)
            .join(User, User.id == TeamMember.user_id)
            .where(
                TeamMember.team_id == team_id,
                User.status != "disabled",
                TeamMember.user_id.not_in(given),
            )
        )
        or 0
    )


def _checked_job(conn: Connection, name: str) -> Any:
    job = conn.execute(select(Job.__table__).where(Job.name_key == name.lower())).first()
    if job is None:
        raise NotFound(f"no labeling job named {name!r}")
    if is_flow_job(job):
        raise Conflict(f"{job.name!r} is a flow definition; its human loops cannot be sent back")
    if job.status not in REOPENS:
        raise Conflict(f"labeling job {job.name!r} is {job.status}: nothing can be sent back")
    return job


def _checked_object(conn: Connection, job: Any, object_id: int) -> Any:
    found = conn.execute(
        select(DataObject.__table__).where(
            DataObject.job_id == job.id, DataObject.object_id == object_id
        )
    ).first()
    if found is None:
        raise NotFound(f"job {job.name!r} has no data object {object_id}")
    if found.state not in SENDABLE:
        raise Conflict(
            f"data object {object_id} is {found.state}: only a labeled object can be sent back"
        )
    return found


def _cleared_override(job: Any, found: Any) -> str | None:
    """The class an admin had set on the object, which the send-back clears."""
    if not found.overridden or not found.label:
        return None
    meta = json.loads(found.label).get(f"{job.label_attribute_name}-metadata") or {}
    name = meta.get("class-name")
    return None if name is None else str(name)


def room(dep: Deployment, name: str, object_id: int) -> int:
    """How many more answers the object could be sent back for now (0: it cannot be)."""
    with dep.db.read() as conn:
        try:
            job = _checked_job(conn, name)
            _checked_object(conn, job, object_id)
        except Conflict:
            return 0
        return free_workers(conn, job.team_id, job.id, object_id)


def send_back(dep: Deployment, name: str, object_id: int, more: int = 1) -> SentBack:
    """Opens a labeled object again for `more` answers (see the module's docstring)."""
    now = dep.clock.now()
    with dep.db.write() as conn:
        job = _checked_job(conn, name)
        found = _checked_object(conn, job, object_id)
        free = free_workers(conn, job.team_id, job.id, object_id)
        if free == 0:
            raise Conflict(f"every worker of the job's team has been given data object {object_id}")
        if not 1 <= more <= free:
            raise Invalid(
                f"answers must be from 1 to {free}: the workers of the team who have not "
                f"been given data object {object_id}"
            )
        wanted = found.answers + more
        conn.execute(
            update(DataObject)
            .where(DataObject.job_id == job.id, DataObject.object_id == object_id)
            .values(
                state="open",
                opened_at=now,
                leased=0,
                declines=0,
                wanted=wanted,
                label=None,
                machine_labeled=False,
                overridden=False,
                labeled_at=None,
            )
        )
        reopened = job.status == "Completed"
        values: dict[str, Any] = {
            "open_count": Job.open_count + 1,
            "label_version": Job.label_version + 1,
            "updated_at": now,
        }
        if reopened:
            values.update(status="InProgress", ended_at=None)
        conn.execute(update(Job).where(Job.id == job.id).values(**values))
        audit.record(
            conn,
            dep,
            "object.sent_back",
            job=job.name,
            object_id=object_id,
            detail={
                "answers": more,
                "had": found.answers,
                "reopened": reopened,
                "cleared_override": _cleared_override(job, found),
            },
        )
        if reopened:
            events.status_changed(conn, dep, job.id, "InProgress")
    dep.wake.set()
    return SentBack(job.name, object_id, found.answers, wanted, "InProgress")
