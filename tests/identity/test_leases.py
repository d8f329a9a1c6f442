"""Disabling a worker, or taking them out of the team, ends their leases at once: the task
cannot be answered (410), its media link stops working, and the object goes back to the team."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.factories import answer, make_admin, make_job, make_team
from tests.web.test_security import bearer
from truthset import workforce
from truthset.db.tables import DataObject
from truthset.deployment import Deployment


@pytest.mark.parametrize("how", ["disable", "remove"])
def test_ending_a_workers_access_ends_their_leases(
    how: str, client: TestClient, dep: Deployment
) -> None:
    admin = bearer(dep, make_admin(dep).id)
    leaving, staying = make_team(dep, workers=2)
    make_job(dep, objects=1, workers_per_object=1)
    mine = bearer(dep, leaving.id)
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=mine).json()
    media = task["input"]["taskObject"]
    assert client.get(media).status_code == 200
    others = bearer(dep, staying.id)
    assert client.post("/api/v1/worker/jobs/views/next-task", headers=others).status_code == 204

    if how == "disable":
        path = f"/api/v1/workers/{leaving.email}/disable"
        assert client.post(path, headers=admin).status_code == 200
    else:
        path = f"/api/v1/teams/radiologists/members/{leaving.email}"
        assert client.delete(path, headers=admin).status_code == 204
        late = client.post(
            f"/api/v1/worker/tasks/{task['task_id']}/answer",
            json={"answer": answer("Left-CC")},
            headers=mine,
        )
        assert late.status_code == 410 and "released" in late.json()["error"]["message"]
    assert client.get(media).status_code == 404
    with dep.db.read() as conn:
        assert conn.scalar(select(DataObject.leased)) == 0
    handed = client.post("/api/v1/worker/jobs/views/next-task", headers=others)
    assert handed.status_code == 200 and handed.json()["task_id"] != task["task_id"]


def test_leaving_one_team_keeps_the_leases_of_another(client: TestClient, dep: Deployment) -> None:
    admin = bearer(dep, make_admin(dep).id)
    (worker,) = make_team(dep, "radiologists", workers=1)
    make_team(dep, "oncologists", workers=0)
    workforce.invite(dep, "oncologists", [worker.email])
    make_job(dep, "views", objects=1, workers_per_object=1)
    make_job(dep, "tumours", objects=1, workers_per_object=1, team="oncologists")
    mine = bearer(dep, worker.id)
    kept = client.post("/api/v1/worker/jobs/tumours/next-task", headers=mine).json()
    client.post("/api/v1/worker/jobs/views/next-task", headers=mine)
    client.delete(f"/api/v1/teams/radiologists/members/{worker.email}", headers=admin)
    done = client.post(
        f"/api/v1/worker/tasks/{kept['task_id']}/answer",
        json={"answer": answer("Left-CC")},
        headers=mine,
    )
    assert done.status_code in (200, 204), done.text
