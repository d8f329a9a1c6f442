"""The statements of the dispatch hot path, built once with bind parameters.

Building SQLAlchemy expressions costs more than running them on SQLite; prebuilt statements
also keep their compiled form cached.
"""

from __future__ import annotations

from sqlalchemy import BindParameter, Integer, bindparam, exists, func, insert, select, update

from truthset.db.tables import Annotation, AuditEntry, DataObject, Job, Task

_job: BindParameter[int] = bindparam("p_job", type_=Integer)
_object: BindParameter[int] = bindparam("p_object", type_=Integer)
_user: BindParameter[int] = bindparam("p_user", type_=Integer)
_n: BindParameter[int] = bindparam("p_n", type_=Integer)

job_state = select(Job.status, Job.open_count, Job.max_concurrent_tasks).where(Job.id == _job)

active_leases = (
    select(Task.id, Task.object_id, Task.leased_at, Task.expires_at)
    .where(
        Task.job_id == _job,
        Task.user_id == _user,
        Task.status == "leased",
        Task.expires_at > bindparam("p_now"),
    )
    .order_by(Task.id)
)

# What a task shows: a custom job's pre-annotation taskInput, else the manifest line.
object_input = func.coalesce(DataObject.task_input, DataObject.line).label("line")

seen_by_user = exists().where(
    Task.job_id == DataObject.job_id, Task.object_id == DataObject.object_id, Task.user_id == _user
)
# The answers an open object is offered for: its own count in a job with adaptive workers per
# object (truthset.adaptive), else the job's number, p_n. A filter on the row the index walk
# already reads, so the walk is the same.
wanted = func.coalesce(DataObject.wanted, _n)

_open_candidate = (
    select(DataObject.object_id, object_input)
    .where(
        DataObject.job_id == _job,
        DataObject.state == "open",
        DataObject.answers + DataObject.leased < wanted,
        ~seen_by_user,
    )
    # The order of ix_data_objects_job_state: the walk stays among the job's open objects.
    # Ordered by object_id alone, SQLite walks the job's primary key instead (every object).
    .order_by(DataObject.priority, DataObject.object_id)
    .limit(1)
)
open_candidate = {
    "sqlite": _open_candidate,
    "postgresql": _open_candidate.with_for_update(skip_locked=True, of=DataObject),
}

take_lease = (
    update(DataObject)
    .where(
        DataObject.job_id == _job,
        DataObject.object_id == _object,
        DataObject.state == "open",
        DataObject.answers + DataObject.leased < wanted,
    )
    .values(leased=DataObject.leased + 1)
)

reserve_room = (
    update(Job)
    .where(Job.id == _job, Job.open_count < Job.max_concurrent_tasks)
    .values(open_count=Job.open_count + 1)
)

_queued_candidate = (
    select(DataObject.object_id, object_input)
    .where(DataObject.job_id == _job, DataObject.state == "queued")
    .order_by(DataObject.priority, DataObject.object_id)
    .limit(1)
)
queued_candidate = {
    "sqlite": _queued_candidate,
    "postgresql": _queued_candidate.with_for_update(skip_locked=True),
}

open_object = (
    update(DataObject)
    .where(DataObject.job_id == _job, DataObject.object_id == _object)
    .values(state="open", opened_at=bindparam("p_now"), leased=1)
)

new_task = insert(Task).returning(Task.id)

task_for_answer = {
    dialect: query
    for dialect, query in (
        (
            "sqlite",
            select(Task.__table__, Job.status.label("job_status"))
            .join(Job, Job.id == Task.job_id)
            .where(Task.id == bindparam("p_task")),
        ),
        (
            "postgresql",
            select(Task.__table__, Job.status.label("job_status"))
            .join(Job, Job.id == Task.job_id)
            .where(Task.id == bindparam("p_task"))
            .with_for_update(of=Task),
        ),
    )
}

new_annotation = insert(Annotation)
new_audit_entry = insert(AuditEntry)  # the answer's entry (audit/trail.py values)

close_object = (
    update(DataObject)
    .where(DataObject.job_id == _job, DataObject.object_id == _object)
    .values(
        state=bindparam("p_state"),
        failure_reason=bindparam("p_reason"),
        failed_at=bindparam("p_failed_at"),
    )
)
# An object out of circulation gives its place in the job's window back.
release_room = update(Job).where(Job.id == _job).values(open_count=Job.open_count - 1)
end_task = (
    update(Task)
    .where(Task.id == bindparam("p_task"))
    .values(status=bindparam("p_status"), ended_at=bindparam("p_now"))
)

count_answer = (
    update(DataObject)
    .where(DataObject.job_id == _job, DataObject.object_id == _object)
    .values(answers=DataObject.answers + 1, leased=DataObject.leased - 1)
    .returning(DataObject.answers, DataObject.state, DataObject.wanted)
)


gold_candidate = (
    select(DataObject.object_id, object_input)
    .where(DataObject.job_id == _job, DataObject.state == "gold", ~seen_by_user)
    .order_by(DataObject.priority, DataObject.object_id)
    .limit(1)
)
take_gold_lease = (
    update(DataObject)
    .where(DataObject.job_id == _job, DataObject.object_id == _object)
    .values(leased=DataObject.leased + 1)
)
last_task_given = select(func.max(Task.id)).where(Task.job_id == _job, Task.user_id == _user)
has_gold = select(exists().where(DataObject.job_id == _job, DataObject.state == "gold"))
