"""Dispatch invariants: N answers at most, never the same object twice, leases, windows, expiry."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text, update

from tests.support.factories import answer, make_job, make_team
from truthset import dispatch, jobs
from truthset.background.runner import run_job
from truthset.clock import ManualClock
from truthset.db.tables import DataObject, Job, Task
from truthset.deployment import Deployment
from truthset.errors import Gone, NotFound


def step(dep: Deployment, name: str = "views") -> jobs.JobInfo:
    run_job(dep, jobs.describe_job(dep, name).id, "test")
    return jobs.describe_job(dep, name)


def test_each_object_gets_n_distinct_workers(dep: Deployment) -> None:
    workers = make_team(dep, workers=4)
    make_job(dep, objects=3, workers_per_object=2)
    seen: dict[int, list[int]] = {}
    for worker in workers:
        while (task := dispatch.next_task(dep, worker, "views")) is not None:
            assert worker.id not in seen.get(task.object_id, [])
            seen.setdefault(task.object_id, []).append(worker.id)
            dispatch.submit_answer(dep, worker, task.task_id, answer("Left-CC"))
    assert sorted(seen) == [0, 1, 2]
    assert all(len(ids) == 2 for ids in seen.values())
    job = step(dep)
    assert job.status == "Completed"
    assert job.counters.total_labeled == 3 and job.counters.unlabeled == 0


def test_worker_holds_at_most_two_leases_and_gets_the_first_back(dep: Deployment) -> None:
    (worker,) = make_team(dep, workers=1)
    make_job(dep, objects=5, workers_per_object=1)
    first = dispatch.next_task(dep, worker, "views")
    second = dispatch.next_task(dep, worker, "views")
    third = dispatch.next_task(dep, worker, "views")
    assert first and second and third
    assert first.object_id != second.object_id
    assert third.task_id == first.task_id


def test_expired_lease_goes_to_someone_else_and_late_answer_is_refused(
    dep: Deployment, clock: ManualClock
) -> None:
    slow, fast = make_team(dep, workers=2)
    make_job(dep, objects=1, workers_per_object=1, task_time_limit=60)
    task = dispatch.next_task(dep, slow, "views")
    assert task is not None
    assert dispatch.next_task(dep, fast, "views") is None  # the only slot is leased
    clock.advance(61)
    other = dispatch.next_task(dep, fast, "views")
    assert other is not None and other.object_id == task.object_id
    with pytest.raises(Gone, match="time limit passed"):
        dispatch.submit_answer(dep, slow, task.task_id, answer("Left-CC"))
    dispatch.submit_answer(dep, fast, other.task_id, answer("Right-CC"))
    assert step(dep).counters.total_labeled == 1


def test_max_concurrent_tasks_bounds_objects_out(dep: Deployment) -> None:
    workers = make_team(dep, workers=3)
    make_job(dep, objects=5, workers_per_object=1, max_concurrent_tasks=2)
    leased = [dispatch.next_task(dep, w, "views") for w in workers]
    assert leased[0] and leased[1] and leased[2] is None
    dispatch.submit_answer(dep, workers[0], leased[0].task_id, answer("Left-CC"))
    assert dispatch.next_task(dep, workers[2], "views") is not None


def wait_until_a_lock_is_awaited(dep: Deployment) -> None:
    """On PostgreSQL: until some transaction waits for a row lock (the lease on the job row)."""
    deadline = time.monotonic() + 10
    while True:
        with dep.db.read() as conn:
            waiting = text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if conn.scalar(waiting):
                return
        assert time.monotonic() < deadline, "the lease never waited for the job row"
        time.sleep(0.01)


def test_lease_that_finds_the_window_filled_meanwhile_rolls_back(dep: Deployment) -> None:
    """The window's place is taken last in a lease; if another transaction filled the window
    while this lease was opening an object, nothing of it stays and the worker gets nothing."""
    worker = make_team(dep, workers=1)[0]
    make_job(dep, objects=3, workers_per_object=1, max_concurrent_tasks=1)
    holding, commit = threading.Event(), threading.Event()

    def fill_the_window() -> None:
        with dep.db.write() as conn:
            conn.execute(update(Job).values(open_count=Job.max_concurrent_tasks))
            holding.set()
            commit.wait(10)

    filler = threading.Thread(target=fill_the_window)
    filler.start()
    assert holding.wait(10)
    leased: list[object] = []
    leaser = threading.Thread(
        target=lambda: leased.append(dispatch.next_task(dep, worker, "views"))
    )
    leaser.start()
    if not dep.db.is_sqlite:  # on SQLite the lease waits for the writer lock before it reads
        wait_until_a_lock_is_awaited(dep)
    commit.set()
    filler.join(10)
    leaser.join(10)
    assert leased == [None]
    with dep.db.read() as conn:
        assert conn.scalar(select(func.count()).select_from(Task)) == 0
        assert conn.scalar(select(func.count()).where(DataObject.state == "open")) == 0


def test_availability_lifetime_consolidates_partial_and_fails_empty(
    dep: Deployment, clock: ManualClock
) -> None:
    a, b = make_team(dep, workers=2)
    make_job(dep, objects=2, workers_per_object=3, task_availability=120)
    t0 = dispatch.next_task(dep, a, "views")
    t1 = dispatch.next_task(dep, a, "views")
    assert t0 and t1
    dispatch.submit_answer(dep, a, t0.task_id, answer("Left-MLO"))
    dispatch.release(dep, a, t1.task_id)
    clock.advance(121)
    job = step(dep)
    assert job.status == "Completed"
    assert job.counters.total_labeled == 1 and job.counters.failed == 1
    assert dispatch.next_task(dep, b, "views") is None


def test_declined_by_every_worker_is_not_offered_again(dep: Deployment) -> None:
    workers = make_team(dep, workers=3)
    make_job(dep, objects=1, workers_per_object=2)
    for worker in workers[:2]:
        task = dispatch.next_task(dep, worker, "views")
        assert task is not None
        dispatch.decline(dep, worker, task.task_id)
    assert dispatch.next_task(dep, workers[2], "views") is None
    job = step(dep)
    assert job.counters.failed == 1 and job.status == "Completed"


def test_released_task_is_not_given_back_to_the_same_worker(dep: Deployment) -> None:
    a, b = make_team(dep, workers=2)
    make_job(dep, objects=1, workers_per_object=1)
    task = dispatch.next_task(dep, a, "views")
    assert task is not None
    dispatch.release(dep, a, task.task_id)
    assert dispatch.next_task(dep, a, "views") is None
    assert dispatch.next_task(dep, b, "views") is not None


def test_stop_writes_results_so_far(dep: Deployment) -> None:
    a, b = make_team(dep, workers=2)
    make_job(dep, objects=3, workers_per_object=2)
    task = dispatch.next_task(dep, a, "views")
    assert task is not None
    dispatch.submit_answer(dep, a, task.task_id, answer("Right-CC"))
    held = dispatch.next_task(dep, b, "views")
    assert held is not None
    assert jobs.stop_job(dep, "views").status == "Stopping"
    assert dispatch.next_task(dep, b, "views") is None
    with pytest.raises(Gone):
        dispatch.submit_answer(dep, b, held.task_id, answer("Left-CC"))
    job = step(dep)
    assert job.status == "Stopped"
    assert job.counters.total_labeled == 1 and job.counters.unlabeled == 2
    line = [x for x in Path(job.output_manifest).read_text().splitlines() if "views-metadata" in x]
    assert len(line) == 1 and '"confidence": 0.0' in line[0]


def test_other_teams_and_other_workers_see_nothing(dep: Deployment) -> None:
    (member,) = make_team(dep, "radiologists", workers=1)
    (outsider,) = make_team(dep, "pathologists", workers=1)
    make_job(dep, objects=1, workers_per_object=1)
    with pytest.raises(NotFound):
        dispatch.next_task(dep, outsider, "views")
    assert dispatch.worker_jobs(dep, outsider) == []
    task = dispatch.next_task(dep, member, "views")
    assert task is not None
    with pytest.raises(NotFound):
        dispatch.submit_answer(dep, outsider, task.task_id, answer("Left-CC"))
    with pytest.raises(NotFound):
        dispatch.release(dep, outsider, task.task_id)


def test_answer_is_validated_against_labels(dep: Deployment) -> None:
    (worker,) = make_team(dep, workers=1)
    make_job(dep, objects=1, workers_per_object=1)
    task = dispatch.next_task(dep, worker, "views")
    assert task is not None
    from truthset.errors import Invalid

    with pytest.raises(Invalid, match="not one of the job's labels"):
        dispatch.submit_answer(dep, worker, task.task_id, answer("Cat"))
    with pytest.raises(Invalid):
        dispatch.submit_answer(dep, worker, task.task_id, {"a": 1, "b": 2})
    dispatch.submit_answer(dep, worker, task.task_id, answer("Left-CC"))
    with pytest.raises(Gone, match="already submitted"):
        dispatch.submit_answer(dep, worker, task.task_id, answer("Left-CC"))


def test_stopping_conditions_stop_the_job(dep: Deployment) -> None:
    (worker,) = make_team(dep, workers=1)
    make_job(dep, objects=4, workers_per_object=1, options={"max_human_labeled": 2})
    for _ in range(2):
        task = dispatch.next_task(dep, worker, "views")
        assert task is not None
        dispatch.submit_answer(dep, worker, task.task_id, answer("Left-CC"))
    job = step(dep)
    assert job.status == "Stopping"
    job = step(dep)
    assert (
        job.status == "Stopped" and job.counters.human_labeled == 2 and job.counters.unlabeled == 2
    )


def test_a_lease_or_an_answer_holds_one_connection_at_a_time(
    dep: Deployment, clock: ManualClock
) -> None:
    """A request that waits for a second pooled connection while holding one can starve the
    pool (PostgreSQL's has no overflow): once every connection is held by such a request, all
    of them wait until the pool times out. Leases, the sweep of lapsed leases that falls due
    among them, and answers each hold one connection at a time."""
    held: dict[int, int] = {}
    nested: list[int] = []

    def checkout(*_: object) -> None:
        me = threading.get_ident()
        held[me] = held.get(me, 0) + 1
        if held[me] > 1:
            nested.append(held[me])

    def checkin(*_: object) -> None:
        held[threading.get_ident()] -= 1

    workers = make_team(dep, workers=3)
    make_job(dep, objects=4, workers_per_object=2, task_time_limit=60)
    pool = dep.db.engine.pool
    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    try:
        for _ in range(3):
            for worker in workers:
                task = dispatch.next_task(dep, worker, "views")
                if task is not None and worker is not workers[0]:
                    dispatch.submit_answer(dep, worker, task.task_id, answer("Left-CC"))
            clock.advance(61)  # the first worker's leases lapse and the sweep falls due
    finally:
        event.remove(pool, "checkout", checkout)
        event.remove(pool, "checkin", checkin)
    assert sum(held.values()) == 0
    assert nested == []
