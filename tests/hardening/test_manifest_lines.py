"""Manifest lines that used to be accepted and then broke the output or stalled objects."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.factories import make_admin, make_team, write_images
from tests.web.test_api_flow import login, step
from truthset.db.tables import DataObject
from truthset.deployment import Deployment


def _job_body(root: Path, manifest: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "views",
        "manifest": str(manifest),
        "output": str(root / "out"),
        "team": "radiologists",
        "labels": ["a", "b"],
        "workers_per_object": 1,
        **overrides,
    }


def _create(
    client: TestClient, dep: Deployment, lines: list[str], workers: int = 1, **overrides: Any
) -> Any:
    make_admin(dep)
    make_team(dep, workers=workers)
    root = dep.settings.data_dir.resolve()
    manifest = root / "in.manifest"
    manifest.write_text("".join(line + "\n" for line in lines))
    admin = login(client, "admin@example.org")
    return client.post("/api/v1/jobs", json=_job_body(root, manifest, **overrides), headers=admin)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_json_numbers_are_refused_naming_the_line(
    client: TestClient, dep: Deployment, token: str
) -> None:
    image = write_images(dep.settings.data_dir.resolve() / "img", 1)[0]
    lines = [json.dumps({"source-ref": str(image)}), f'{{"source-ref": "{image}", "x": {token}}}']
    response = _create(client, dep, lines)
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert "line 2" in message and token.lstrip("-") in message


def test_nul_characters_in_source_text_survive_to_the_output(
    client: TestClient, dep: Deployment
) -> None:
    text = "before\x00after \u2028 end"
    response = _create(client, dep, [json.dumps({"source": text})], task_type="text-classification")
    assert response.status_code == 201, response.text
    step(dep)
    worker = login(client, "worker0@radiologists.example.org")
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=worker)
    assert task.status_code == 200 and task.json()["input"]["taskObject"] == text
    done = client.post(
        f"/api/v1/worker/tasks/{task.json()['task_id']}/answer",
        json={"answer": {"crowd-classifier": {"label": "a"}}},
        headers=worker,
    )
    assert done.status_code == 204, done.text
    step(dep)
    admin = login(client, "admin@example.org")
    job = client.get("/api/v1/jobs/views", headers=admin).json()
    assert job["status"] == "Completed"
    raw = Path(job["output_manifest"]).read_text()
    assert json.loads(raw.split("\n")[0])["source"] == text


def test_source_ref_with_nul_is_refused(client: TestClient, dep: Deployment) -> None:
    image = write_images(dep.settings.data_dir.resolve() / "img", 1)[0]
    lines = [json.dumps({"source-ref": str(image)}), json.dumps({"source-ref": f"{image}\x00x"})]
    response = _create(client, dep, lines)
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert "line 2" in message and "NUL" in message


def test_s3_uri_without_s3_configured_is_refused(
    client: TestClient, dep: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    image = write_images(dep.settings.data_dir.resolve() / "img", 1)[0]
    lines = [json.dumps({"source-ref": str(image)}), json.dumps({"source-ref": "s3://b-1/x.png"})]
    response = _create(client, dep, lines)
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert "line 2" in message and "S3" in message


def test_symlink_out_of_the_roots_is_refused(
    client: TestClient, dep: Deployment, tmp_path: Path
) -> None:
    outside = write_images(tmp_path / "outside", 1)[0]
    root = dep.settings.data_dir.resolve()
    image = write_images(root / "img", 1)[0]
    link = root / "img" / "link.png"
    link.symlink_to(outside)
    lines = [json.dumps({"source-ref": str(image)}), json.dumps({"source-ref": str(link)})]
    response = _create(client, dep, lines)
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert "line 2" in message and "outside the allowed data roots" in message


def test_media_that_cannot_be_read_fails_the_object_after_bounded_tries(
    client: TestClient, dep: Deployment
) -> None:
    """Media that exists but cannot be read (here: a folder where the image was) is not
    missing, so each read may be a passing outage; after a bounded number of tries the object
    fails with the reason instead of staying open."""
    root = dep.settings.data_dir.resolve()
    image = write_images(root / "img", 1)[0]
    attempts = dep.settings.media_read_attempts
    response = _create(client, dep, [json.dumps({"source-ref": str(image)})], attempts + 2)
    assert response.status_code == 201, response.text
    step(dep)
    image.unlink()
    image.mkdir()
    statuses = []
    for index in range(attempts + 2):
        # Each worker in turn is offered the object (a released one goes to someone else).
        worker = login(client, f"worker{index}@radiologists.example.org")
        task = client.post("/api/v1/worker/jobs/views/next-task", headers=worker)
        if task.status_code != 200:
            break
        statuses.append(client.get(task.json()["input"]["taskObject"]).status_code)
        client.post(f"/api/v1/worker/tasks/{task.json()['task_id']}/release", headers=worker)
    assert statuses and set(statuses) <= {502, 404}
    assert len(statuses) == attempts
    step(dep)
    admin = login(client, "admin@example.org")
    job = client.get("/api/v1/jobs/views", headers=admin).json()
    assert job["label_counters"]["FailedNonRetryableError"] == 1
    assert job["status"] in {"Completed", "Failed"}
    with dep.db.read() as conn:
        reason = conn.scalar(select(DataObject.failure_reason))
    assert "media cannot be read" in reason and str(image) in reason
