"""DICOM objects in a job: manifest create finds them, the worker gets renditions (never the
file, never a patient tag unless the job shows it), the output keeps the .dcm source-ref."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from pydicom import dcmread

from tests.support.factories import VIEWS, make_team
from truthset import jobs, manifests, workforce
from truthset.background.runner import run_job
from truthset.deployment import Deployment
from truthset.dicom.synthetic import write_mammogram

IDENTIFYING = ("Doe^Jane", "Doe", "MRN-0042", "19610315", "Saint Example")


def bearer(dep: Deployment, user_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {workforce.issue_token(dep, user_id, 'api')}"}


def dicom_job(dep: Deployment, count: int = 2, **options: Any) -> list[Path]:
    root = dep.settings.data_dir.resolve()
    files = [
        write_mammogram(root / "mammo" / f"{i}.dcm", 600, 800, seed=i, view="MLO" if i else "CC")
        for i in range(count)
    ]
    (root / "mammo" / "notes.txt").write_text("not an image")
    assert (
        manifests.create_manifest(dep.storage, str(root / "mammo"), str(root / "in.manifest"))
        == count
    )
    request = jobs.JobRequest(
        name="views",
        manifest=str(root / "in.manifest"),
        output=str(root / "output"),
        task_type="image-classification",
        team="radiologists",
        labels=list(VIEWS),
        workers_per_object=1,
        options=options,
    )
    jobs.create_job(dep, request)
    return files


def no_identifying_text(body: bytes) -> None:
    for text in IDENTIFYING:
        assert text.encode() not in body, text


def test_worker_gets_renditions_and_no_patient_tags(client: TestClient, dep: Deployment) -> None:
    (member,) = make_team(dep, workers=1)
    files = dicom_job(dep)
    headers = bearer(dep, member.id)
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=headers).json()
    url = task["input"]["taskObject"]
    assert url.startswith("/media/") and url.endswith("?dicom=1")
    no_identifying_text(json.dumps(task).encode())
    plain = client.get(url)
    assert plain.headers["content-type"] == "image/png" and plain.content.startswith(b"\x89PNG")
    info = client.get(f"{url}&part=info")
    described = info.json()
    assert described["tags"] == {} and described["info"]["windows"][0]["name"] == "STANDARD"
    source = next(f for f in files if dcmread(f).ViewPosition == "CC")
    grey = dcmread(source).pixel_array
    display = client.get(f"{url}&part=display&frame=0")
    assert np.array_equal(np.frombuffer(display.content, "<u2").reshape(grey.shape), grey)
    region = client.get(f"{url}&part=region&frame=0&x=10&y=20&w=100&h=50&rw=100&rh=50")
    assert np.array_equal(
        np.frombuffer(region.content, "<u2").reshape(50, 100), grey[20:70, 10:110]
    )
    frame = client.get(f"/portal/tasks/{task['task_id']}/frame", headers=headers)
    for response in (plain, info, display, region, frame):
        assert response.status_code == 200
        no_identifying_text(response.content)
    assert client.get(f"{url}&part=region&x=0&y=0&w=9999&h=1&rw=1&rh=1").status_code == 400
    assert client.get(f"{url}&part=file").status_code == 400


def test_a_job_may_show_chosen_tags(client: TestClient, dep: Deployment) -> None:
    (member,) = make_team(dep, workers=1)
    dicom_job(dep, count=1, show_dicom_tags=["ImageLaterality", "PatientAge"])
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=bearer(dep, member.id)).json()
    described = client.get(task["input"]["taskObject"] + "&part=info").json()
    assert described["tags"] == {"ImageLaterality": "L"}  # PatientAge is not in the file


def test_unreadable_dicom_fails_its_object_and_the_output_keeps_the_source_ref(
    client: TestClient, dep: Deployment
) -> None:
    (member,) = make_team(dep, workers=1)
    files = dicom_job(dep, count=1)
    files[0].write_bytes(b"DICM? no" * 40)
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=bearer(dep, member.id)).json()
    response = client.get(task["input"]["taskObject"] + "&part=info")
    assert response.status_code == 422 and "DICOM file" in response.text
    output = dep.settings.data_dir.resolve() / "output"
    run_job(dep, jobs.describe_job(dep, "views").id, "test")
    manifest = next(output.rglob("output.manifest"))
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert lines == [{"source-ref": str(files[0])}]
