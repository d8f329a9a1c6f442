"""Adaptive workers per object through the dispatcher itself: multi-label jobs (every class
must be settled), a decision interrupted between the answer and the judgement, closed objects
that stay closed."""

from __future__ import annotations

import random
from collections import Counter

from sqlalchemy import select, update

from tests.support.factories import answer, make_job, make_team
from truthset import adaptive, dispatch, jobs
from truthset.background.runner import run_job
from truthset.db.tables import Annotation, DataObject
from truthset.deployment import Deployment

LABELS = ["mass", "calcification", "distortion"]


def truth(object_id: int) -> set[str]:
    return {label for k, label in enumerate(LABELS) if (object_id >> k) & 1}


def per_object(dep: Deployment, name: str) -> Counter[int]:
    job_id = jobs.describe_job(dep, name).id
    with dep.db.read() as conn:
        rows = conn.scalars(select(Annotation.object_id).where(Annotation.job_id == job_id))
        return Counter(int(o) for o in rows)


def test_multi_label_objects_close_when_every_class_is_settled(dep: Deployment) -> None:
    workers = make_team(dep, workers=6)
    make_job(
        dep,
        name="findings",
        objects=24,
        task_type="image-classification-multilabel",
        labels=LABELS,
        workers_per_object=5,
        options={"adaptive": {"min_workers_per_object": 2, "target_confidence": 0.9}},
    )
    rng = random.Random(0)
    progress = True
    while progress:
        progress = False
        for worker in workers:
            task = dispatch.next_task(dep, worker, "findings")
            if task is None:
                continue
            progress = True
            chosen = {
                label
                for label in LABELS
                if (label in truth(task.object_id)) != (rng.random() < 0.05)
            }
            content = {"crowd-image-classifier-multi-select": {"labels": sorted(chosen)}}
            dispatch.submit_answer(dep, worker, task.task_id, content)
    counts = per_object(dep, "findings")
    assert set(counts) == set(range(24))
    assert min(counts.values()) >= 2 and max(counts.values()) <= 5
    assert sum(counts.values()) < 5 * 24
    run_job(dep, jobs.describe_job(dep, "findings").id, "test")
    assert jobs.describe_job(dep, "findings").status == "Completed"


def test_an_interrupted_decision_is_taken_by_the_runner(dep: Deployment) -> None:
    a, b, c = make_team(dep, workers=3)
    make_job(
        dep,
        objects=1,
        workers_per_object=3,
        options={"adaptive": {"min_workers_per_object": 2, "target_confidence": 0.99}},
    )
    for worker, label in ((a, "Left-CC"), (b, "Right-CC")):
        task = dispatch.next_task(dep, worker, "views")
        assert task is not None
        dispatch.submit_answer(dep, worker, task.task_id, answer(label))
    job_id = jobs.describe_job(dep, "views").id
    with dep.db.write() as conn:  # as if the server had stopped before judging the object
        conn.execute(update(DataObject).values(wanted=None))
    with dep.db.read() as conn:
        assert adaptive.undecided(conn, job_id, 2) == [0]
    run_job(dep, job_id, "test")
    with dep.db.read() as conn:
        state, wanted = conn.execute(select(DataObject.state, DataObject.wanted)).one()
        assert adaptive.undecided(conn, job_id, 2) == []
    # Two workers who disagree settle nothing, whatever the model: one more.
    assert (state, wanted) == ("open", 3)
    task = dispatch.next_task(dep, c, "views")
    assert task is not None
    dispatch.submit_answer(dep, c, task.task_id, answer("Left-CC"))
    with dep.db.read() as conn:
        assert conn.scalar(select(DataObject.state)) in ("answered", "labeled")
    # The maximum is reached: nobody is offered the object again.
    assert dispatch.next_task(dep, a, "views") is None
