"""The seed walkthrough through the REST API: admin creates team and job, workers label, output."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from tests.support.factories import (
    PASSWORD,
    VIEWS,
    make_admin,
    make_team,
    write_images,
    write_manifest,
)
from truthset.background.runner import run_job
from truthset.deployment import Deployment


def login(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/api/v1/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def step(dep: Deployment) -> None:
    """One pass of the background runner over every job (tests drive it instead of a thread)."""
    from truthset.jobs import list_jobs

    for job in list_jobs(dep):
        run_job(dep, job.id, "test-runner")


def test_walkthrough(client: TestClient, dep: Deployment, tmp_path: Path) -> None:
    make_admin(dep)
    admin = login(client, "admin@example.org")
    assert (
        client.post("/api/v1/teams", json={"name": "radiologists"}, headers=admin).status_code
        == 201
    )
    invited = client.post(
        "/api/v1/teams/radiologists/invitations",
        json={"emails": ["new@example.org"]},
        headers=admin,
    ).json()["invitations"]
    assert invited[0]["status"] == "invited" and invited[0]["url"].startswith(
        "http://testserver/invite/"
    )
    workers = make_team(dep, "readers", workers=0)
    assert workers == []
    created = client.post(
        "/api/v1/teams/radiologists/workers",
        json={
            "emails": ["w0@example.org", "w1@example.org", "w2@example.org"],
            "password": PASSWORD,
        },
        headers=admin,
    )
    assert created.status_code == 201

    root = dep.settings.data_dir.resolve()
    images = write_images(root / "images", 3)
    manifest = write_manifest(
        root / "in.manifest", [{"source-ref": str(p), "patient": i} for i, p in enumerate(images)]
    )
    body = {
        "name": "views",
        "manifest": str(manifest),
        "output": str(root / "out"),
        "team": "radiologists",
        "labels": VIEWS,
        "workers_per_object": 3,
    }
    response = client.post("/api/v1/jobs", json=body, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "Initializing"
    step(dep)
    job = client.get("/api/v1/jobs/views", headers=admin).json()
    assert job["status"] == "InProgress"
    assert job["label_counters"] == {
        "TotalLabeled": 0,
        "HumanLabeled": 0,
        "MachineLabeled": 0,
        "FailedNonRetryableError": 0,
        "Unlabeled": 3,
    }

    choices = {0: ["Left-CC", "Left-CC", "Right-CC"], 1: ["Right-MLO"] * 3, 2: ["Left-MLO"] * 3}
    for index in range(3):
        headers = login(client, f"w{index}@example.org")
        listed = client.get("/api/v1/worker/jobs", headers=headers).json()
        assert [j["name"] for j in listed] == ["views"] and listed[0]["remaining"] == 3
        while True:
            task = client.post("/api/v1/worker/jobs/views/next-task", headers=headers)
            if task.status_code == 204:
                break
            data = task.json()
            media = client.get(data["input"]["taskObject"])
            assert media.status_code == 200 and media.headers["content-type"] == "image/png"
            label = choices[int(data["data_object_id"])][index]
            done = client.post(
                f"/api/v1/worker/tasks/{data['task_id']}/answer",
                json={"answer": {"crowd-image-classifier": {"label": label}}},
                headers=headers,
            )
            assert done.status_code == 204, done.text
    step(dep)
    job = client.get("/api/v1/jobs/views", headers=admin).json()
    assert job["status"] == "Completed"
    assert job["label_counters"]["TotalLabeled"] == 3 and job["label_counters"]["Unlabeled"] == 0

    lines = [json.loads(line) for line in Path(job["output_manifest"]).read_text().splitlines()]
    assert [line["patient"] for line in lines] == [0, 1, 2]
    assert lines[0]["views"] == VIEWS.index("Left-CC")
    meta = lines[0]["views-metadata"]
    assert list(meta) == [
        "class-name",
        "confidence",
        "type",
        "job-name",
        "human-annotated",
        "creation-date",
    ]
    assert meta["class-name"] == "Left-CC" and meta["type"] == "groundtruth/image-classification"
    assert meta["job-name"] == "labeling-job/views" and meta["human-annotated"] == "yes"


def test_a_job_still_initializing_says_not_ready_not_nothing_left(
    client: TestClient, dep: Deployment
) -> None:
    """A client that stops on 204 ("nothing for you") must not stop for good on a new job."""
    make_admin(dep)
    admin = login(client, "admin@example.org")
    make_team(dep, workers=1)
    root = dep.settings.data_dir.resolve()
    manifest = write_manifest(
        root / "in.manifest", [{"source-ref": str(p)} for p in write_images(root / "img", 2)]
    )
    body = {
        "name": "views",
        "manifest": str(manifest),
        "output": str(root / "out"),
        "team": "radiologists",
        "labels": VIEWS,
        "workers_per_object": 1,
    }
    assert client.post("/api/v1/jobs", json=body, headers=admin).status_code == 201
    worker = login(client, "worker0@radiologists.example.org")
    waiting = client.post("/api/v1/worker/jobs/views/next-task", headers=worker)
    assert waiting.status_code == 409
    assert waiting.json()["error"]["type"] == "not_ready"
    assert int(waiting.headers["retry-after"]) >= 1
    step(dep)
    leased = client.post("/api/v1/worker/jobs/views/next-task", headers=worker)
    assert leased.status_code == 200, leased.text
