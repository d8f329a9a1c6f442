"""Many workers in threads against one job, over HTTP on a real server; the invariants hold."""

from __future__ import annotations

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
from truthset.settings import Settings

WORKERS = 16
OBJECTS = 40
PER_OBJECT = 3
WINDOW = 8


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


def work_left(dep: Deployment) -> int:
    """Objects still queued or out with workers."""
    with dep.db.read() as conn:
        return int(
            conn.scalar(select(func.count()).where(DataObject.state.in_(("queued", "open")))) or 0
        )


def work(dep: Deployment, url: str, token: str, seed: int, errors: list[str]) -> None:
    rng = random.Random(seed)
    deadline = time.monotonic() + 100
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        while True:
            response = client.post("/api/v1/worker/jobs/views/next-task")
            if response.status_code == 204:
                # Nothing for this worker now; another worker may still release a task on an
                # object this one has not seen, so it stays until no object is left out.
                if work_left(dep) == 0:
                    return
                if time.monotonic() > deadline:
                    errors.append(f"objects left out but none for worker {seed}")
                    return
                time.sleep(0.02)
                continue
            if response.status_code != 200:
                errors.append(f"next-task {response.status_code} {response.text}")
                return
            task_id = response.json()["task_id"]
            if rng.random() < 0.1:
                client.post(f"/api/v1/worker/tasks/{task_id}/release")
                continue
            answer = {"crowd-image-classifier": {"label": rng.choice(VIEWS)}}
            done = client.post(f"/api/v1/worker/tasks/{task_id}/answer", json={"answer": answer})
            if done.status_code != 204:
                errors.append(f"answer {done.status_code} {done.text}")


def sample_open(dep: Deployment, stop: threading.Event, seen: list[int]) -> None:
    while not stop.is_set():
        with dep.db.read() as conn:
            seen.append(
                int(conn.scalar(select(func.count()).where(DataObject.state == "open")) or 0)
            )
        stop.wait(0.01)


def test_many_workers_one_job(live_dep: tuple[str, Deployment]) -> None:
    url, dep = live_dep
    workers = make_team(dep, workers=WORKERS)
    make_job(dep, objects=OBJECTS, workers_per_object=PER_OBJECT, max_concurrent_tasks=WINDOW)
    tokens = [workforce.issue_token(dep, w.id, "api") for w in workers]
    errors: list[str] = []
    open_counts: list[int] = []
    stop = threading.Event()
    sampler = threading.Thread(target=sample_open, args=(dep, stop, open_counts))
    sampler.start()
    threads = [
        threading.Thread(target=work, args=(dep, url, t, i, errors)) for i, t in enumerate(tokens)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    stop.set()
    sampler.join()
    assert errors == []
    assert max(open_counts) <= WINDOW

    with dep.db.read() as conn:
        rows = conn.execute(select(Annotation.object_id, Annotation.user_id)).all()
    per_object = Counter(object_id for object_id, _ in rows)
    assert len(set(rows)) == len(rows), "a worker answered the same object twice"
    assert set(per_object) == set(range(OBJECTS))
    assert all(count == PER_OBJECT for count in per_object.values()), per_object
    deadline = time.monotonic() + 30
    while jobs.describe_job(dep, "views").status != "Completed":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert jobs.describe_job(dep, "views").counters.total_labeled == OBJECTS
