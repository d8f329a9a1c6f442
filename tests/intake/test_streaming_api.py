"""Streaming jobs through the REST API: created open-ended, objects added as JSON Lines (whole
request refused on a bad line), de-duplication ids, MaxConcurrentTaskCount, stop and idle stop."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.support.factories import make_admin, make_team
from tests.web.test_api_flow import login, step
from truthset import dispatch, jobs
from truthset.clock import ManualClock
from truthset.deployment import Deployment
from truthset.workforce import UserInfo

LABELS = ["positive", "negative"]


def _create(client: TestClient, dep: Deployment, admin: dict[str, str], **extra: object) -> None:
    body = {
        "name": "reviews",
        "output": str(dep.settings.data_dir.resolve() / "out"),
        "task_type": "text-classification",
        "team": "radiologists",
        "labels": LABELS,
        "workers_per_object": 1,
        "options": {"streaming": True},
        **extra,
    }
    response = client.post("/api/v1/jobs", json=body, headers=admin)
    assert response.status_code == 201, response.text
    step(dep)


def _add(client: TestClient, admin: dict[str, str], lines: list[Any], name: str = "reviews") -> Any:
    body = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    return client.post(f"/api/v1/jobs/{name}/objects", content=body.encode(), headers=admin)


def _label_all(dep: Deployment, worker: UserInfo, label: str = "positive") -> int:
    done = 0
    while (task := dispatch.next_task(dep, worker, "reviews")) is not None:
        dispatch.submit_answer(dep, worker, task.task_id, {"crowd-classifier": {"label": label}})
        done += 1
    return done


def _output(dep: Deployment) -> list[dict[str, object]]:
    path = Path(jobs.describe_job(dep, "reviews").output_manifest)
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_objects_stream_in_and_the_output_grows(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    admin = login(client, "admin@example.org")
    [worker] = make_team(dep, workers=1)
    _create(client, dep, admin)
    assert jobs.describe_job(dep, "reviews").status == "InProgress"
    step(dep)
    assert jobs.describe_job(dep, "reviews").status == "InProgress"  # empty, still open

    added = _add(client, admin, [{"source": "great"}, {"source": "awful"}])
    assert added.status_code == 200, added.text
    assert added.json() == {"added": 2, "duplicates": 0}
    assert _label_all(dep, worker) == 2
    step(dep)
    assert [line["source"] for line in _output(dep)] == ["great", "awful"]

    assert _add(client, admin, [{"source": "fine"}]).json()["added"] == 1
    assert _label_all(dep, worker, "negative") == 1
    step(dep)
    info = jobs.describe_job(dep, "reviews")
    assert info.status == "InProgress" and info.counters.total_labeled == 3
    assert [line["source"] for line in _output(dep)] == ["great", "awful", "fine"]
    assert _output(dep)[2]["reviews-metadata"]["class-name"] == "negative"  # type: ignore[index]

    stopped = client.post("/api/v1/jobs/reviews/stop", headers=admin)
    assert stopped.status_code == 200
    step(dep)
    assert jobs.describe_job(dep, "reviews").status == "Stopped"
    late = _add(client, admin, [{"source": "late"}])
    assert late.status_code == 409
    assert len(_output(dep)) == 3


def test_one_bad_line_refuses_the_whole_request(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    admin = login(client, "admin@example.org")
    make_team(dep, workers=1)
    _create(client, dep, admin)
    refused = _add(client, admin, [{"source": "good"}, "{not json", {"other": 1}])
    assert refused.status_code == 400, refused.text
    text = refused.text
    assert "line 2" in text and "line 3" in text
    assert jobs.describe_job(dep, "reviews").object_count == 0
    assert _add(client, admin, []).status_code == 400
    assert _add(client, admin, [{"source": "ok"}], name="nosuch").status_code == 404


def test_a_fixed_job_takes_no_objects(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    admin = login(client, "admin@example.org")
    make_team(dep, workers=1)
    root = dep.settings.data_dir.resolve()
    manifest = root / "in.manifest"
    manifest.write_text('{"source": "a"}\n')
    _create(client, dep, admin, manifest=str(manifest), options={})
    assert _add(client, admin, [{"source": "b"}]).status_code == 409
    # A fixed job without a manifest is refused at creation.
    body = {
        "name": "nomanifest",
        "output": str(root / "o"),
        "team": "radiologists",
        "task_type": "text-classification",
        "labels": LABELS,
    }
    assert client.post("/api/v1/jobs", json=body, headers=admin).status_code == 400


def test_duplicates_by_their_own_id_are_stored_once(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    admin = login(client, "admin@example.org")
    [worker] = make_team(dep, workers=1)
    _create(client, dep, admin)
    line = {"source": "same", "dataset-objectid-attribute-name": "review-id", "review-id": "r1"}
    first = _add(client, admin, [line, line, {**line, "review-id": "r2"}])
    assert first.json() == {"added": 2, "duplicates": 1}
    again = _add(client, admin, [line])
    assert again.json() == {"added": 0, "duplicates": 1}
    bad = _add(client, admin, [{**line, "dataset-objectid-attribute-name": "missing"}])
    assert bad.status_code == 400 and "missing" in bad.text
    assert _label_all(dep, worker) == 2


def test_objects_wait_beyond_max_concurrent_tasks(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    admin = login(client, "admin@example.org")
    workers = make_team(dep, workers=3)
    _create(client, dep, admin, max_concurrent_tasks=2)
    _add(client, admin, [{"source": f"text {n}"} for n in range(5)])
    leased = [dispatch.next_task(dep, w, "reviews") for w in workers]
    assert [t is not None for t in leased] == [True, True, False]
    first = leased[0]
    assert first is not None
    dispatch.submit_answer(
        dep, workers[0], first.task_id, {"crowd-classifier": {"label": "positive"}}
    )
    assert dispatch.next_task(dep, workers[2], "reviews") is not None


def test_idle_stop_after_the_configured_time(
    client: TestClient, dep: Deployment, clock: ManualClock
) -> None:
    make_admin(dep)
    admin = login(client, "admin@example.org")
    [worker] = make_team(dep, workers=1)
    _create(client, dep, admin)
    _add(client, admin, [{"source": "one"}])
    clock.advance(timedelta(days=11).total_seconds())
    step(dep)
    assert jobs.describe_job(dep, "reviews").status == "InProgress"  # an object is unlabeled
    admin = login(client, "admin@example.org")  # the first sign-in has expired
    assert _add(client, admin, [{"source": "two"}]).json()["added"] == 1
    _label_all(dep, worker)
    clock.advance(timedelta(days=9).total_seconds())
    step(dep)
    assert jobs.describe_job(dep, "reviews").status == "InProgress"  # last input 9 days ago
    clock.advance(timedelta(days=1, seconds=1).total_seconds())
    step(dep)
    step(dep)
    info = jobs.describe_job(dep, "reviews")
    assert info.status == "Stopped" and info.counters.total_labeled == 2
    assert len(_output(dep)) == 2
