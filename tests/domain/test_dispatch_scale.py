"""Dispatch cost does not grow with the size of the job.

Every statement that leasing, answering, declining, releasing, the worker's job list and a
background pass run is recorded on a job of 2,000 objects and on one of 40,000 objects in the
same mid-job state (the first half labeled, a window of open objects, the rest queued). Each
statement is then run again, in a transaction that is rolled back, and its cost measured
without a clock: SQLite's virtual-machine instructions (a progress handler) and PostgreSQL's
buffers (EXPLAIN ANALYZE). A statement that scans the job costs about twenty times more on the
large job; an indexed one costs the same. The plans are asserted too, so a failure names the
statement and shows how the database meant to run it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select, text, update

from tests.support.factories import answer, make_job, make_team
from truthset import dispatch
from truthset.background import lifecycle
from truthset.background.lifecycle import OutputSchedule
from truthset.background.runner import run_job
from truthset.db.tables import DataObject, Job, Task
from truthset.deployment import Deployment, Throttle
from truthset.workforce import UserInfo

SMALL, LARGE = 2_000, 40_000
WINDOW = 200
OPEN = 190  # objects out with workers, all but the last FREE of them with every place taken
FREE = 5
SQLITE_STEP = 50  # instructions between progress-handler calls


def _state(object_id: int, half: int) -> str:
    if object_id < half:
        return "labeled"
    if object_id < half + OPEN:
        return "open"
    return "gold" if object_id == half + OPEN else "queued"


def grow(dep: Deployment, objects: int, workers: list[UserInfo]) -> int:
    """Makes the job `objects` long: the first half labeled (each object answered by two of the
    team's workers), a window of open objects, one gold question, the rest queued. The first
    worker is due a gold question; the second has seen it and finds an open object; the third
    has seen the gold question and the open objects with room, so a queued one is opened."""
    job = make_job(dep, objects=1, workers_per_object=2, options={"gold_ratio": 1.0})
    now = dep.clock.now()
    with dep.db.write() as conn:
        line = conn.scalar(select(DataObject.line).where(DataObject.job_id == job.id))
    half = objects // 2
    rows: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []

    def task(object_id: int, user: UserInfo) -> None:
        tasks.append(
            {
                "job_id": job.id,
                "object_id": object_id,
                "user_id": user.id,
                "status": "submitted",
                "leased_at": now,
                "expires_at": now,
                "ended_at": now,
            }
        )

    for object_id in range(1, objects):
        state = _state(object_id, half)
        full = state == "open" and object_id < half + OPEN - FREE
        rows.append(
            {
                "job_id": job.id,
                "object_id": object_id,
                "line": line,
                "state": state,
                "answers": 2 if state == "labeled" else 1 if full else 0,
                "leased": 1 if full else 0,
                "opened_at": now if state in ("open", "labeled") else None,
                "gold": json.dumps(answer("Left-CC")) if state == "gold" else None,
            }
        )
        if state == "labeled":
            task(object_id, workers[object_id % len(workers)])
            task(object_id, workers[(object_id + 1) % len(workers)])
        elif state == "gold":
            task(object_id, workers[1])
            task(object_id, workers[2])
        elif state == "open" and not full:
            task(object_id, workers[2])
    with dep.db.write() as conn:
        for start in range(0, len(rows), 5_000):
            conn.execute(insert(DataObject), rows[start : start + 5_000])
        for start in range(0, len(tasks), 5_000):
            conn.execute(insert(Task), tasks[start : start + 5_000])
        conn.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(max_concurrent_tasks=WINDOW, open_count=OPEN, object_count=objects - 1)
        )
        if not dep.db.is_sqlite:
            # As autovacuum would after a bulk load (job import does this too).
            conn.execute(text("ANALYZE data_objects"))
            conn.execute(text("ANALYZE tasks"))
    dep.job_records.clear()
    return job.id


@contextmanager
def recorded(dep: Deployment) -> Iterator[list[tuple[str, Any, int]]]:
    """Records (statement, parameters, SQLite instructions it took) as they run."""
    statements: list[tuple[str, Any, int]] = []
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    def before(conn: Any, _cursor: Any, _sql: str, _params: Any, _ctx: Any, _many: bool) -> None:
        steps[0] = 0
        if dep.db.is_sqlite:
            conn.connection.driver_connection.set_progress_handler(count, SQLITE_STEP)

    def after(conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        if dep.db.is_sqlite:
            conn.connection.driver_connection.set_progress_handler(None, 0)
        if not many and not sql.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            statements.append((sql, params, steps[0] * SQLITE_STEP))

    event.listen(dep.db.engine, "before_cursor_execute", before)
    event.listen(dep.db.engine, "after_cursor_execute", after)
    try:
        yield statements
    finally:
        event.remove(dep.db.engine, "before_cursor_execute", before)
        event.remove(dep.db.engine, "after_cursor_execute", after)


def exercise(dep: Deployment, workers: list[UserInfo]) -> list[tuple[str, Any, int]]:
    """Runs everything dispatch does for a worker, recording the statements."""
    first, second, third = workers[:3]
    with recorded(dep) as statements:
        dispatch.worker_jobs(dep, first)
        leased = [dispatch.next_task(dep, worker, "views") for worker in (first, second, third)]
        assert [task.line for task in leased if task] and len(
            {t.object_id for t in leased if t}
        ) == 3
        again = dispatch.next_task(dep, first, "views")  # the second lease of a worker
        more = dispatch.next_task(dep, first, "views")  # at the limit: the first back
        assert all(leased) and again and more and more.task_id == leased[0].task_id  # type: ignore[union-attr]
        dispatch.submit_answer(dep, first, leased[0].task_id, answer("Left-CC"))  # type: ignore[union-attr]
        dispatch.decline(dep, second, leased[1].task_id)  # type: ignore[union-attr]
        dispatch.release(dep, third, leased[2].task_id)  # type: ignore[union-attr]
        with dep.db.write() as conn:
            dispatch.expire_leases(conn, dep.clock.now() + timedelta(days=1))
        job_id = leased[0].job.id  # type: ignore[union-attr]
        lifecycle.needs_work(dep, job_id, dep.clock.now())
        # A background pass, the output just written (rewriting it is the one whole-job read,
        # spaced by its own cost).
        schedule = OutputSchedule()
        schedule.wrote(job_id, dep.clock.now(), 0.1)
        assert run_job(dep, job_id, "scale-test", schedule)
    return statements


def sqlite_plan(dep: Deployment, sql: str, params: Any) -> str:
    raw = dep.db.engine.raw_connection()
    try:
        rows = raw.driver_connection.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        return "\n".join(str(row[-1]) for row in rows)
    finally:
        raw.close()


def _buffers(node: dict[str, Any]) -> int:
    return int(node.get("Shared Hit Blocks", 0)) + int(node.get("Shared Read Blocks", 0))


def postgres_cost(dep: Deployment, sql: str, params: Any) -> tuple[int, str]:
    with dep.db.engine.connect() as conn:
        transaction = conn.begin()
        try:
            result = conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params
            ).scalar_one()
        finally:
            transaction.rollback()
    plan = result[0]["Plan"] if isinstance(result, list) else json.loads(result)[0]["Plan"]
    return _buffers(plan), json.dumps(plan, indent=1)


def costs(dep: Deployment, statements: list[tuple[str, Any, int]]) -> dict[str, tuple[int, str]]:
    """The highest cost of each distinct statement, with its plan. On PostgreSQL statements
    are run again under EXPLAIN ANALYZE; inserts are left out (they would collide with the
    rows they made, and a B-tree insert does not depend on the table's size)."""
    found: dict[str, tuple[int, str]] = {}
    for sql, params, steps in statements:
        if dep.db.is_sqlite:
            cost, plan = steps, sqlite_plan(dep, sql, params)
        elif sql.lstrip().upper().startswith("INSERT"):
            continue
        else:
            cost, plan = postgres_cost(dep, sql, params)
        if cost >= found.get(sql, (-1, ""))[0]:
            found[sql] = (cost, plan)
    return found


@pytest.fixture
def measured(dep: Deployment) -> Callable[[int], dict[str, tuple[int, str]]]:
    workers = make_team(dep, workers=4)

    def measure(objects: int) -> dict[str, tuple[int, str]]:
        with dep.db.write() as conn:
            conn.execute(Job.__table__.delete())
        dep.job_records.clear()
        dep.throttle = Throttle()  # the sweep of lapsed leases runs in both measurements
        grow(dep, objects, workers)
        return costs(dep, exercise(dep, workers))

    return measure


def test_no_dispatch_statement_costs_more_on_a_larger_job(
    dep: Deployment, measured: Callable[[int], dict[str, tuple[int, str]]]
) -> None:
    small, large = measured(SMALL), measured(LARGE)
    assert small.keys() == large.keys()
    problems = []
    # SQLite: 20x the rows is 20x the instructions for a scan; PostgreSQL: 20x the pages.
    slack = 20_000 if dep.db.is_sqlite else 40
    for sql, (cost, plan) in large.items():
        if cost > 2 * small[sql][0] + slack:
            problems.append(
                f"costs {cost} on {LARGE:,} objects against {small[sql][0]} on {SMALL:,}:\n"
                f"{sql}\n{plan}"
            )
        if not dep.db.is_sqlite:
            scanned = set(_seq_scans(json.loads(plan))) & {"data_objects", "tasks", "annotations"}
            if scanned:
                problems.append(f"sequential scan of {scanned}:\n{sql}\n{plan}")
    assert not problems, "\n\n".join(problems)


def _seq_scans(node: dict[str, Any]) -> Iterator[str]:
    if node.get("Node Type") == "Seq Scan":
        yield str(node.get("Relation Name"))
    for child in node.get("Plans", []):
        yield from _seq_scans(child)
