"""Several `truthset serve` processes on one PostgreSQL database, workers spread over them.

Two real server processes (each with its background runner process) share one database and one
output folder. Simulated workers send their requests to both, as a load balancer would; halfway
through, one server and its runner are killed with SIGKILL and the workers carry on with the
other. Afterwards: every answer that was acknowledged (204) is stored, no object has more than
N answers, no worker answered an object twice, both jobs completed, and each object's answers
were consolidated by one runner once (one worker-response file per object).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.support import postgres, servers
from tests.support.factories import answer, make_job, make_team
from truthset import jobs, workforce
from truthset.db.tables import Annotation
from truthset.deployment import Deployment, open_deployment
from truthset.settings import Settings

OBJECTS = 40
PER_OBJECT = 3
WORKERS = 12
JOBS = ("left", "right")


@dataclass
class Record:
    """What the simulated workers saw (shared between their threads)."""

    acknowledged: set[int] = field(default_factory=set)
    finished: bool = False
    deadline: float = field(default_factory=lambda: time.monotonic() + 240)
    lock: threading.Lock = field(default_factory=threading.Lock)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def shared(tmp_path: Path, pg_admin_url: str, pg_template: str) -> Iterator[Settings]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(pg_admin_url, name, pg_template)
    yield Settings(
        data_dir=tmp_path / "data",
        database_url=url,
        secret_key="scale-out-secret",  # type: ignore[arg-type]
        fast_password_hashing=True,
        output_interval=0.5,
        background_interval=0.2,
    )
    postgres.drop_database(pg_admin_url, name)


def prepare(settings: Settings) -> tuple[Deployment, list[str]]:
    dep = open_deployment(settings, migrate=False)
    workers = make_team(dep, workers=WORKERS)
    for name in JOBS:
        # A lease whose reply died with the killed server comes back to the team after this.
        make_job(dep, name=name, objects=OBJECTS, workers_per_object=PER_OBJECT, task_time_limit=30)
    return dep, [workforce.issue_token(dep, worker.id, "api") for worker in workers]


def work(urls: list[str], token: str, offset: int, record: Record) -> None:
    """One worker: next task and answer on every job until nothing is left. When a server
    stops answering the worker moves to another one (as a load balancer's health check would)
    and sends an answer that got no reply again: it still holds the task."""
    headers = {"Authorization": f"Bearer {token}"}
    turn = offset
    pending: int | None = None
    while time.monotonic() < record.deadline:
        url = urls[turn % len(urls)]
        turn += 1
        try:
            if pending is not None:
                deliver(url, headers, pending, record)
                pending = None
            leased_any = False
            for job in JOBS:
                leased = httpx.post(f"{url}/api/v1/worker/jobs/{job}/next-task", headers=headers)
                if leased.status_code == 204:
                    continue
                leased.raise_for_status()
                leased_any = True
                pending = leased.json()["task_id"]
                deliver(url, headers, pending, record)
                pending = None
            if not leased_any:
                if record.finished:
                    return
                time.sleep(0.2)  # other workers' objects may still come back to the team
        except httpx.TransportError:
            continue  # the server went away: the next turn uses another one


def deliver(url: str, headers: dict[str, str], task: int, record: Record) -> None:
    done = httpx.post(
        f"{url}/api/v1/worker/tasks/{task}/answer",
        headers=headers,
        json={"answer": answer("Left-CC")},
    )
    if done.status_code == 204:
        with record.lock:
            record.acknowledged.add(task)
    elif done.status_code != 410:  # 410: stored by the first try, or the lease ended
        record.errors.append(f"answer {done.status_code}: {done.text}")


def test_two_servers_share_the_work_and_survive_one_being_killed(shared: Settings) -> None:
    dep, tokens = prepare(shared)
    env = {
        "TRUTHSET_DATA_DIR": str(shared.data_dir),
        "TRUTHSET_DATABASE_URL": shared.database_url,
        "TRUTHSET_SECRET_KEY": "scale-out-secret",
        "TRUTHSET_FAST_PASSWORD_HASHING": "true",
        "TRUTHSET_OUTPUT_INTERVAL": "0.5",
        "TRUTHSET_BACKGROUND_INTERVAL": "0.2",
    }
    record = Record()
    with servers.running(env, 2) as (first, second):
        urls = [first.url, second.url]
        threads = [
            threading.Thread(target=work, args=(urls, token, i, record), daemon=True)
            for i, token in enumerate(tokens)
        ]
        for thread in threads:
            thread.start()
        total = len(JOBS) * OBJECTS * PER_OBJECT
        wait_for(lambda: stored(dep) >= total // 2, "half of the answers")
        first.kill()
        urls.remove(first.url)
        wait_for(lambda: stored(dep) >= total, "every answer", seconds=120)
        record.finished = True
        for thread in threads:
            thread.join(timeout=30)
        wait_for(
            lambda: all(jobs.describe_job(dep, n).status == "Completed" for n in JOBS), "completion"
        )
        assert not record.errors, record.errors[:5]
        assert second.process.poll() is None, second.errors()
    check(dep, record)
    dep.db.dispose()


def stored(dep: Deployment) -> int:
    with dep.db.read() as conn:
        return len(conn.execute(select(Annotation.id)).all())


def wait_for(condition: object, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def check(dep: Deployment, record: Record) -> None:
    with dep.db.read() as conn:
        rows = conn.execute(
            select(Annotation.task_id, Annotation.job_id, Annotation.object_id, Annotation.user_id)
        ).all()
    assert record.acknowledged <= {row.task_id for row in rows}, "an acknowledged answer is lost"
    per_object = Counter((row.job_id, row.object_id) for row in rows)
    assert set(per_object.values()) == {PER_OBJECT}
    assert len({(r.job_id, r.object_id, r.user_id) for r in rows}) == len(rows)
    for name in JOBS:
        info = jobs.describe_job(dep, name)
        assert info.counters.total_labeled == OBJECTS
        output = Path(info.output_manifest).read_text().splitlines()
        assert len(output) == OBJECTS and all(f'"{name}-metadata"' in line for line in output)
        responses = Path(info.output_folder) / "annotations/worker-response/iteration-1"
        files = Counter(path.parent.name for path in responses.glob("*/*.json"))
        # Consolidated once, by one runner: a second runner on the same objects writes a second.
        assert sorted(files) == sorted(str(i) for i in range(OBJECTS))
        assert set(files.values()) == {1}, files
