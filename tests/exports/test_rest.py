"""Exports through the REST API: admin only, made in the background, status, download of the
zip (read back by pycocotools); a job's results page by page."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pycocotools.coco import COCO

from tests.exports.jobs import boxes, labeled_job
from tests.support.factories import PASSWORD, make_admin, make_team
from truthset.clock import ManualClock
from truthset.deployment import Deployment
from truthset.exports import runs


def login(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/api/v1/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_an_admin_exports_and_downloads(
    client: TestClient, dep: Deployment, tmp_path: Path
) -> None:
    make_admin(dep)
    workers = make_team(dep, workers=2)
    labeled_job(dep, workers, "street", "bounding-box", lambda w, o: boxes(("car", 4, 5, 20, 10)))
    admin = login(client, "admin@example.org")
    worker = login(client, workers[0].email)

    assert client.post("/api/v1/jobs/street/exports", json={"format": "coco"}).status_code == 401
    refused = client.post("/api/v1/jobs/street/exports", json={"format": "coco"}, headers=worker)
    assert refused.status_code == 403
    wrong = client.post("/api/v1/jobs/street/exports", json={"format": "csv"}, headers=admin)
    assert wrong.status_code == 400
    assert "the csv format does not apply to bounding-box jobs" in wrong.json()["error"]["message"]

    started = client.post("/api/v1/jobs/street/exports", json={"format": "coco"}, headers=admin)
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["status"] == "Running" and run["download_url"] is None
    # TestClient runs the background task before it returns; a server runs it after replying.
    done = client.get(f"/api/v1/exports/{run['id']}", headers=admin).json()
    assert done["status"] == "Completed" and done["objects"] == 2, done
    assert done["download_url"] == f"/api/v1/exports/{run['id']}/download"
    listed = client.get("/api/v1/jobs/street/exports", headers=admin).json()
    assert [e["id"] for e in listed] == [run["id"]]

    assert client.get(done["download_url"]).status_code == 401
    assert client.get(done["download_url"], headers=worker).status_code == 403
    download = client.get(done["download_url"], headers=admin)
    assert download.status_code == 200
    assert (
        download.headers["content-disposition"]
        == f'attachment; filename="street-coco-{run["id"]}.zip"'
    )
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert archive.namelist() == ["annotations.json"]
        archive.extractall(tmp_path)
    coco = COCO(str(tmp_path / "annotations.json"))
    assert [a["bbox"] for a in coco.loadAnns(coco.getAnnIds(imgIds=[1]))] == [[4, 5, 20, 10]]
    assert client.get("/api/v1/exports/999", headers=admin).status_code == 404


@pytest.mark.parametrize("limit", [1, 5])
def test_results_page_by_page(client: TestClient, dep: Deployment, limit: int) -> None:
    make_admin(dep)
    workers = make_team(dep, workers=2)
    labeled_job(dep, workers, "street", "bounding-box", lambda w, o: boxes(("car", 4, 5, 20, 10)))
    admin = login(client, "admin@example.org")
    seen, after = [], -1
    while after is not None:
        page = client.get(
            "/api/v1/jobs/street/results", params={"after": after, "limit": limit}, headers=admin
        ).json()
        seen += page["results"]
        after = page["next_after"]
    assert [r["object_id"] for r in seen] == [0, 1]
    assert all(r["state"] == "labeled" and r["answers"] == 2 for r in seen)
    assert seen[0]["line"]["street"]["annotations"][0]["left"] == 4


def test_an_export_its_server_abandoned_is_reported_failed(
    client: TestClient, dep: Deployment, clock: ManualClock
) -> None:
    admin_user = make_admin(dep)
    workers = make_team(dep, workers=2)
    labeled_job(dep, workers, "street", "bounding-box", lambda w, o: boxes(("car", 4, 5, 20, 10)))
    # Started, but never run: as if the server making it had been killed.
    run = runs.start_export(dep, "street", "voc", None, admin_user.id)
    clock.advance(14 * 60)
    assert runs.get_export(dep, run.id).status == "Running"
    clock.advance(2 * 60)
    admin = login(client, "admin@example.org")
    (listed,) = client.get("/api/v1/jobs/street/exports", headers=admin).json()
    assert listed["status"] == "Failed" and listed["error"] == runs.ABANDONED
    assert client.get(f"/api/v1/exports/{run.id}/download", headers=admin).status_code == 404


def test_the_console_export_form_needs_an_admin_and_the_csrf_token(
    client: TestClient, dep: Deployment
) -> None:
    make_admin(dep)
    workers = make_team(dep, workers=2)
    labeled_job(dep, workers, "street", "bounding-box", lambda w, o: boxes(("car", 4, 5, 20, 10)))
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post(
        "/login", data={"email": workers[0].email, "password": PASSWORD, "csrf_token": csrf}
    )
    form = {"format": "coco", "csrf_token": csrf}
    assert client.post("/console/jobs/street/exports", data=form).status_code == 403  # a worker
    client.post("/logout", data={"csrf_token": csrf})
    client.post(
        "/login", data={"email": "admin@example.org", "password": PASSWORD, "csrf_token": csrf}
    )
    assert client.post("/console/jobs/street/exports", data={"format": "coco"}).status_code == 403
    started = client.post("/console/jobs/street/exports", data=form, follow_redirects=False)
    assert started.status_code == 303
    assert started.headers["location"] == "/console/jobs/street#exports"
    shown = client.get("/console/jobs/street")
    assert "Download street-coco-1.zip" in shown.text
    assert '<option value="csv">' not in shown.text  # only the formats that fit boxes
    wrong = client.post("/console/jobs/street/exports", data={**form, "format": "csv"})
    assert wrong.status_code == 400 and "does not apply to bounding-box jobs" in wrong.text
