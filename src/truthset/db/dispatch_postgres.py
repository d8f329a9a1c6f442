"""PostgreSQL's lease and answer, each one statement run outside an explicit transaction.

A lease or an answer through the portable path (dispatch/leases.py, dispatch/answers.py) is six
to eight statements in one transaction. On PostgreSQL every statement is a round trip, the server waits "idle in
transaction" between them, and the row locks a lease takes (the job row when it opens an
object) are held across all of them. Here each is one data-modifying CTE in autocommit mode: no
BEGIN round trip, and locks are held for one statement. What a task shows is a custom job's
pre-annotation taskInput where there is one, else the manifest line (as q.object_input). The rules are the portable path's; the
tests of dispatch run on both databases, so the two paths are held to the same behaviour.

Every sub-statement sees the same snapshot. Rows the statement changes are locked first
(FOR UPDATE [SKIP LOCKED]), and PostgreSQL re-reads a locked row's newest version, so counters
and conditions are evaluated on current values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Integer, String, bindparam, text
from sqlalchemy.types import DateTime

_TYPES = {
    "p_job": Integer,
    "p_user": Integer,
    "p_n": Integer,
    "p_adaptive": Boolean,
    "p_task": Integer,
    "p_max_leases": Integer,
    "p_now": DateTime,
    "p_expires": DateTime,
    "p_content": String,
    "p_code": String,
}


def _statement(sql: str) -> Any:
    names = [name for name in _TYPES if f":{name}" in sql]
    return text(sql).bindparams(*(bindparam(name, type_=_TYPES[name]) for name in names))


LEASE = _statement(
    """
WITH job AS (
    SELECT id, open_count < max_concurrent_tasks AS has_room FROM jobs
    WHERE id = :p_job AND status = 'InProgress'
),
mine AS (
    SELECT id, object_id, leased_at, expires_at FROM tasks
    WHERE user_id = :p_user AND status = 'leased' AND job_id = :p_job AND expires_at > :p_now
),
may AS (
    SELECT has_room FROM job WHERE (SELECT count(*) FROM mine) < :p_max_leases
),
open_one AS (
    SELECT d.object_id FROM data_objects d
    WHERE d.job_id = :p_job AND d.state = 'open'
      AND d.answers + d.leased < COALESCE(d.wanted, :p_n)
      AND NOT EXISTS (SELECT 1 FROM tasks t
                      WHERE t.job_id = d.job_id AND t.object_id = d.object_id
                        AND t.user_id = :p_user)
      AND EXISTS (SELECT 1 FROM may)
    ORDER BY d.priority, d.object_id
    LIMIT 1
    FOR UPDATE OF d SKIP LOCKED
),
took AS (
    UPDATE data_objects d SET leased = d.leased + 1
    FROM open_one o
    WHERE d.job_id = :p_job AND d.object_id = o.object_id
      AND d.answers + d.leased < COALESCE(d.wanted, :p_n)
    RETURNING d.object_id, COALESCE(d.task_input, d.line) AS line
),
queued_one AS (
    SELECT d.object_id FROM data_objects d
    WHERE d.job_id = :p_job AND d.state = 'queued'
      AND NOT EXISTS (SELECT 1 FROM open_one)
      AND EXISTS (SELECT 1 FROM may WHERE has_room)
    ORDER BY d.priority, d.object_id
    LIMIT 1
    FOR UPDATE OF d SKIP LOCKED
),
room AS (
    UPDATE jobs SET open_count = open_count + 1
    WHERE id = :p_job AND open_count < max_concurrent_tasks
      AND EXISTS (SELECT 1 FROM queued_one)
    RETURNING id
),
opened AS (
    UPDATE data_objects d SET state = 'open', opened_at = :p_now, leased = 1
    FROM queued_one q
    WHERE d.job_id = :p_job AND d.object_id = q.object_id AND EXISTS (SELECT 1 FROM room)
    RETURNING d.object_id, COALESCE(d.task_input, d.line) AS line
),
got AS (
    SELECT object_id, line FROM took UNION ALL SELECT object_id, line FROM opened
),
leased AS (
    INSERT INTO tasks (job_id, object_id, user_id, status, leased_at, expires_at)
    SELECT :p_job, object_id, :p_user, 'leased', :p_now, :p_expires FROM got
    RETURNING id, object_id
)
SELECT 'new' AS kind, l.id AS task_id, l.object_id, g.line,
       CAST(:p_now AS timestamp) AS leased_at, CAST(:p_expires AS timestamp) AS expires_at
FROM leased l JOIN got g ON g.object_id = l.object_id
UNION ALL
SELECT 'held', m.id, m.object_id, COALESCE(d.task_input, d.line), m.leased_at, m.expires_at
FROM (SELECT * FROM mine ORDER BY id LIMIT 1) m
JOIN data_objects d ON d.job_id = :p_job AND d.object_id = m.object_id
WHERE (SELECT count(*) FROM mine) >= :p_max_leases
UNION ALL
SELECT 'filled', NULL, NULL, NULL, NULL, NULL
WHERE EXISTS (SELECT 1 FROM queued_one) AND NOT EXISTS (SELECT 1 FROM room)
UNION ALL
SELECT 'status', NULL, NULL, j.status, NULL, NULL
FROM jobs j WHERE j.id = :p_job AND j.status <> 'InProgress'
"""
)

ANSWER = _statement(
    """
WITH task AS (
    SELECT t.id, t.job_id, t.object_id, t.user_id, t.status, t.leased_at, t.expires_at,
           j.status AS job_status
    FROM tasks t JOIN jobs j ON j.id = t.job_id
    WHERE t.id = :p_task
    FOR UPDATE OF t
),
ok AS (
    SELECT * FROM task
    WHERE user_id = :p_user AND job_id = :p_job AND status = 'leased' AND expires_at > :p_now
      AND job_status = 'InProgress'
),
ended AS (
    UPDATE tasks SET status = 'submitted', ended_at = :p_now
    FROM ok WHERE tasks.id = ok.id
    RETURNING tasks.id
),
stored AS (
    INSERT INTO annotations (task_id, job_id, object_id, user_id, content, code,
                             accepted_at, submitted_at)
    SELECT id, job_id, object_id, user_id, :p_content, :p_code, leased_at, :p_now FROM ok
    RETURNING id
),
before AS (
    SELECT d.answers, d.leased, d.state, d.wanted FROM data_objects d
    JOIN ok ON d.job_id = ok.job_id AND d.object_id = ok.object_id
    FOR UPDATE OF d
),
counted AS (
    UPDATE data_objects d
    SET answers = b.answers + 1, leased = b.leased - 1,
        state = CASE WHEN b.state = 'open' AND b.answers + 1 >= (
                         CASE WHEN b.wanted IS NULL THEN :p_n
                              WHEN :p_adaptive THEN GREATEST(:p_n, b.wanted)
                              ELSE b.wanted END
                     ) THEN 'answered' ELSE b.state END
    FROM ok, before b
    WHERE d.job_id = ok.job_id AND d.object_id = ok.object_id
    RETURNING (b.state = 'open' AND d.state = 'answered') AS closed, d.answers, d.wanted,
              d.state
),
shrunk AS (
    UPDATE jobs SET open_count = open_count - 1
    WHERE id = :p_job AND EXISTS (SELECT 1 FROM counted WHERE closed)
    RETURNING id
),
audited AS (
    INSERT INTO audit_entries (at, actor, actor_id, action, job, object_id, address,
                               request_id, detail)
    SELECT CAST(:a_at AS timestamp), CAST(:a_actor AS varchar), CAST(:a_actor_id AS integer),
           CAST(:a_action AS varchar), CAST(:a_job AS varchar), object_id,
           CAST(:a_address AS varchar), CAST(:a_request_id AS varchar), CAST(:a_detail AS text)
    FROM ok
    RETURNING id
)
SELECT task.*, (SELECT closed FROM counted) AS closed, (SELECT count(*) FROM stored) AS stored,
       (SELECT answers FROM counted) AS answers, (SELECT wanted FROM counted) AS wanted,
       (SELECT state FROM counted) AS object_state
FROM task
"""
)


def lease(
    conn: Connection,
    job_id: int,
    user_id: int,
    workers_per_object: int,  # the answers a newly opened object is offered for
    max_leases: int,
    now: datetime,
    expires: datetime,
) -> Any:
    """The lease statement's one row (kind new | held | filled | status), or None: nothing
    for this worker."""
    params = {
        "p_job": job_id,
        "p_user": user_id,
        "p_n": workers_per_object,
        "p_max_leases": max_leases,
        "p_now": now,
        "p_expires": expires,
    }
    return conn.execute(LEASE, params).first()


def answer(
    conn: Connection,
    task_id: int,
    job_id: int,
    user_id: int,
    workers_per_object: int,
    adaptive: bool,  # the job's objects close at max(workers_per_object, wanted), not wanted
    content: str,
    code: str | None,
    now: datetime,
    entry: dict[str, Any],
) -> Any:
    """The task's row with `stored` (1 when the answer was taken) and `closed` (the answer
    completed its object), or None when there is no such task. The audit `entry` (its row
    without the object id) is inserted by the same statement when the answer is."""
    params = {
        "p_task": task_id,
        "p_job": job_id,
        "p_user": user_id,
        "p_n": workers_per_object,
        "p_adaptive": adaptive,
        "p_content": content,
        "p_code": code,
        "p_now": now,
        **{f"a_{name}": value for name, value in entry.items() if name != "object_id"},
    }
    return conn.execute(ANSWER, params).first()
