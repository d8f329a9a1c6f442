"""Media serving follows links and refuses anything outside the data roots at every read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.hardening.test_manifest_lines import _create
from tests.support.factories import write_images
from tests.web.test_api_flow import login, step
from truthset.deployment import Deployment


@pytest.mark.parametrize("what", ["file", "folder"])
def test_link_made_after_job_creation_is_refused_at_every_read(
    client: TestClient, dep: Deployment, tmp_path: Path, what: str
) -> None:
    root = dep.settings.data_dir.resolve()
    image = write_images(root / "img", 1)[0]
    outside = write_images(tmp_path / "secret", 1)[0]
    secret = outside.read_bytes()
    response = _create(client, dep, [json.dumps({"source-ref": str(image)})], workers=3)
    assert response.status_code == 201, response.text
    step(dep)
    # Swapped for a link out of the roots once the job was checked and running.
    if what == "file":
        image.unlink()
        image.symlink_to(outside)
    else:
        shutil.rmtree(image.parent)
        image.parent.symlink_to(outside.parent)
    for index in range(2):
        worker = login(client, f"worker{index}@radiologists.example.org")
        task = client.post("/api/v1/worker/jobs/views/next-task", headers=worker)
        assert task.status_code == 200, task.text
        url = task.json()["input"]["taskObject"]
        for _ in range(2):  # again and again, not only the first time
            media = client.get(url)
            assert media.status_code == 404
            assert secret not in media.content and "outside the allowed data roots" in media.text
        client.post(f"/api/v1/worker/tasks/{task.json()['task_id']}/release", headers=worker)
