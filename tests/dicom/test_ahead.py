"""The background runner prepares the renditions of the DICOM objects a job hands out next,
so that the lease finds them cached."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from tests.dicom.test_media import bearer, dicom_job
from tests.support.factories import make_team
from truthset import jobs
from truthset.background.runner import run_job
from truthset.deployment import Deployment
from truthset.dicom import ahead


def test_the_runner_prepares_the_next_objects_before_the_lease(
    client: TestClient, dep: Deployment
) -> None:
    (member,) = make_team(dep, workers=1)
    files = dicom_job(dep, count=2)
    uris = [str(f.resolve()) for f in files]
    store = ahead.renditions(dep)
    assert not any(store.ready(uri) for uri in uris)
    assert ahead.next_objects(dep, jobs.describe_job(dep, "views").id) == uris
    run_job(dep, jobs.describe_job(dep, "views").id, "test")
    deadline = time.monotonic() + 30
    while not all(store.ready(uri) for uri in uris) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(store.ready(uri) for uri in uris)
    # Asked again, nothing is prepared twice.
    assert all(ahead.prepare(dep, uri) is None for uri in uris)
    for path in files:  # the first display now comes from the cache alone
        path.unlink()
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=bearer(dep, member.id))
    url = task.json()["input"]["taskObject"]
    info = client.get(f"{url}&part=info")
    display = client.get(f"{url}&part=display&frame=0")
    assert info.status_code == 200 and info.json()["display"] == {"width": 600, "height": 800}
    assert display.status_code == 200 and len(display.content) == 600 * 800 * 2


def test_objects_that_are_not_dicom_are_not_prepared(dep: Deployment) -> None:
    assert ahead.prepare(dep, str(dep.settings.data_dir / "photo.png")) is None
    missing = ahead.prepare(dep, str(dep.settings.data_dir / "IM0404"))
    assert missing is not None
    missing.result()  # an unreadable object is left for the worker's own request to report
    assert not ahead.renditions(dep).ready(str(dep.settings.data_dir / "IM0404"))
