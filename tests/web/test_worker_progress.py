"""The worker API's progress and task start (the countdown of a prefetched task)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.factories import answer, make_job, make_team
from truthset import workforce
from truthset.clock import ManualClock
from truthset.deployment import Deployment


def bearer(dep: Deployment, user_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {workforce.issue_token(dep, user_id, 'api')}"}


def test_progress_counts_the_job_and_my_answers(client: TestClient, dep: Deployment) -> None:
    first, second = make_team(dep, workers=2)
    make_job(dep, objects=3, workers_per_object=2)
    headers = bearer(dep, first.id)
    assert client.get("/api/v1/worker/jobs/views/progress", headers=headers).json() == {
        "objects": 3,
        "done": 0,
        "mine": 0,
    }
    for user in (first, second):
        task = client.post("/api/v1/worker/jobs/views/next-task", headers=bearer(dep, user.id))
        stored = client.post(
            f"/api/v1/worker/tasks/{task.json()['task_id']}/answer",
            json={"answer": answer("Left-CC")},
            headers=bearer(dep, user.id),
        )
        assert stored.status_code == 204
    # The object has its two answers: nothing more is needed from workers.
    assert client.get("/api/v1/worker/jobs/views/progress", headers=headers).json() == {
        "objects": 3,
        "done": 1,
        "mine": 1,
    }
    (outsider,) = make_team(dep, "others", workers=1)
    refused = client.get("/api/v1/worker/jobs/views/progress", headers=bearer(dep, outsider.id))
    assert refused.status_code == 404


def test_start_counts_the_limit_from_now_at_most_twice(
    client: TestClient, dep: Deployment, clock: ManualClock
) -> None:
    worker, other = make_team(dep, workers=2)
    make_job(dep, objects=2, workers_per_object=1, task_time_limit=300)
    headers = bearer(dep, worker.id)
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=headers).json()
    start = f"/api/v1/worker/tasks/{task['task_id']}/start"
    clock.advance(200)
    assert client.post(start, headers=headers).json() == {"seconds_left": 300.0}
    clock.advance(250)
    # Twice the limit after the lease is the end, however often it is started again.
    assert client.post(start, headers=headers).json() == {"seconds_left": 150.0}
    assert client.post(start, headers=bearer(dep, other.id)).status_code == 404
    clock.advance(151)
    assert client.post(start, headers=headers).status_code == 410
