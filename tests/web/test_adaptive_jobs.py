"""Adaptive workers per object in a real job over HTTP: simulated workers of known skill answer
through the REST API, on SQLite and PostgreSQL; fewer answers than a fixed number, about the
same accuracy, and the dispatch invariants under 100 concurrent workers."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.support.factories import VIEWS, make_job, make_team
from tests.support.live import free_port, serve
from truthset import jobs, workforce
from truthset.app import create_app
from truthset.db.tables import Annotation, DataObject
from truthset.deployment import Deployment, open_deployment
from truthset.errors import Invalid
from truthset.settings import Settings

LABELS = VIEWS[:3]
SKILLS = [0.95, 0.92, 0.9, 0.88, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6]


@pytest.fixture
def live_dep(tmp_path: Path, database_url: str) -> Iterator[tuple[str, Deployment]]:
    port = free_port()
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="k",  # type: ignore[arg-type]
        public_base_url=f"http://127.0.0.1:{port}",
        background_interval=0.1,
        output_interval=0,
        fast_password_hashing=True,
    )
    dep = open_deployment(settings, migrate=False)
    with serve(create_app(deployment=dep), port) as url:
        yield url, dep
    dep.db.dispose()


def truth(object_id: int) -> int:
    return (object_id * 7 + 3) % len(LABELS)


def work_left(dep: Deployment, job: str) -> int:
    record = jobs.describe_job(dep, job)
    with dep.db.read() as conn:
        return int(
            conn.scalar(
                select(func.count()).where(
                    DataObject.job_id == record.id, DataObject.state.in_(("queued", "open"))
                )
            )
            or 0
        )


def simulated_worker(
    dep: Deployment, url: str, job: str, token: str, skill: float, seed: int, log: list[str]
) -> None:
    """Answers every task it gets: right with probability ``skill``, else a wrong label."""
    rng = random.Random(seed)
    deadline = time.monotonic() + 150
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        while time.monotonic() < deadline:
            response = client.post(f"/api/v1/worker/jobs/{job}/next-task")
            if response.status_code == 204:
                if work_left(dep, job) == 0:
                    return
                time.sleep(0.05)
                continue
            if response.status_code != 200:
                log.append(f"next-task {response.status_code} {response.text}")
                return
            task = response.json()
            right = truth(int(task["data_object_id"]))
            wrong = [k for k in range(len(LABELS)) if k != right]
            label = right if rng.random() < skill else rng.choice(wrong)
            done = client.post(
                f"/api/v1/worker/tasks/{task['task_id']}/answer",
                json={"answer": {"crowd-image-classifier": {"label": LABELS[label]}}},
            )
            log.append("stored" if done.status_code == 204 else f"answer {done.status_code}")
        log.append("deadline")


def run_job(
    dep: Deployment, url: str, job: str, tokens: list[str], skills: list[float]
) -> list[str]:
    log: list[str] = []
    threads = [
        threading.Thread(target=simulated_worker, args=(dep, url, job, token, skill, seed, log))
        for seed, (token, skill) in enumerate(zip(tokens, skills, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=200)
    deadline = time.monotonic() + 60
    while jobs.describe_job(dep, job).status != "Completed":
        assert time.monotonic() < deadline, jobs.describe_job(dep, job)
        time.sleep(0.1)
    return log


def outcome(dep: Deployment, job: str) -> tuple[int, float, Counter[int], list[tuple[int, int]]]:
    """Answers stored, accuracy of the labels against the truth, answers per object, and the
    (object, worker) pairs."""
    record = jobs.describe_job(dep, job)
    with dep.db.read() as conn:
        pairs = [
            (int(o), int(u))
            for o, u in conn.execute(
                select(Annotation.object_id, Annotation.user_id).where(
                    Annotation.job_id == record.id
                )
            )
        ]
        labels = conn.execute(
            select(DataObject.object_id, DataObject.label).where(DataObject.job_id == record.id)
        ).all()
    right = [json.loads(label)[job] == truth(int(o)) for o, label in labels]
    return len(pairs), sum(right) / len(right), Counter(o for o, _ in pairs), pairs


def test_adaptive_job_uses_fewer_answers_than_fixed_for_the_same_truth(
    live_dep: tuple[str, Deployment],
) -> None:
    url, dep = live_dep
    workers = make_team(dep, workers=len(SKILLS))
    tokens = [workforce.issue_token(dep, w.id, "api") for w in workers]
    objects = 60
    for name, adaptive in (("fixed", None), ("adaptive", 0.95)):
        options = (
            {"adaptive": {"min_workers_per_object": 2, "target_confidence": adaptive}}
            if adaptive
            else {}
        )
        make_job(
            dep, name=name, objects=objects, labels=LABELS, workers_per_object=5, options=options
        )
    run_job(dep, url, "fixed", tokens, SKILLS)
    run_job(dep, url, "adaptive", tokens, SKILLS)
    fixed_answers, fixed_accuracy, _, _ = outcome(dep, "fixed")
    answers, accuracy, counts, pairs = outcome(dep, "adaptive")
    print(
        f"\nfixed 5: {fixed_answers} answers, accuracy {fixed_accuracy:.3f}; "
        f"adaptive 2-5 at 0.95: {answers} answers, accuracy {accuracy:.3f}"
    )
    assert fixed_answers == 5 * objects
    # Which worker meets which object depends on thread timing: 174 to 211 answers in runs on
    # one machine (the share saved at scale is benchmarks/adaptive.py's, not this job's).
    assert answers <= 0.75 * fixed_answers
    # An object closes once its label is 95% sure, so each closed label is wrong with
    # probability up to 5%: on 60 objects five wrong happen in 8% of runs (one CI run had
    # 0.917), more than eight in 0.3%.
    assert round((1 - accuracy) * objects) <= 8
    assert min(counts.values()) >= 2 and max(counts.values()) <= 5
    assert len(set(pairs)) == len(pairs)


def test_invariants_under_100_concurrent_workers(live_dep: tuple[str, Deployment]) -> None:
    url, dep = live_dep
    workers = make_team(dep, workers=100)
    tokens = [workforce.issue_token(dep, w.id, "api") for w in workers]
    objects = 80
    make_job(
        dep,
        name="crowd",
        objects=objects,
        labels=LABELS,
        workers_per_object=5,
        max_concurrent_tasks=40,
        options={"adaptive": {"min_workers_per_object": 2, "target_confidence": 0.95}},
    )
    log = run_job(dep, url, "crowd", tokens, [0.8] * 100)
    answers, _, counts, pairs = outcome(dep, "crowd")
    assert [entry for entry in log if entry != "stored"] == []
    assert log.count("stored") == answers, "an acknowledged answer was lost"
    assert len(set(pairs)) == len(pairs), "a worker answered the same object twice"
    assert set(counts) == set(range(objects))
    assert min(counts.values()) >= 2 and max(counts.values()) <= 5


def test_adaptive_options_are_checked(live_dep: tuple[str, Deployment]) -> None:
    _, dep = live_dep
    make_team(dep, workers=1)
    for options, message in (
        ({"min_workers_per_object": 6}, "between 1 and the workers per object"),
        ({"target_confidence": 1.0}, "between 0 and 1"),
        ({"min_workers": 2}, "takes min_workers_per_object"),
    ):
        with pytest.raises(Invalid, match=message):
            make_job(
                dep, name="bad", objects=1, workers_per_object=5, options={"adaptive": options}
            )
    with pytest.raises(Invalid, match="adaptive workers per object are for image-classification"):
        make_job(
            dep,
            name="boxes",
            objects=1,
            task_type="bounding-box",
            options={"adaptive": {"min_workers_per_object": 2}},
        )
