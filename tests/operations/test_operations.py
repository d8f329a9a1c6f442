"""/metrics, /healthz, /readyz, the JSON request log and worker activity, through HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from tests.audit.test_actions import login
from tests.support.factories import VIEWS, answer, make_admin, make_job, make_team
from truthset.app import create_app
from truthset.background.runner import Runner, run_job
from truthset.clock import ManualClock
from truthset.deployment import Deployment, open_deployment
from truthset.settings import Settings


def samples(
    client: TestClient, headers: dict[str, str]
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _work(client: TestClient, dep: Deployment) -> dict[str, str]:
    make_admin(dep)
    make_team(dep, "radiologists", workers=2)
    make_job(dep, "views", objects=3, workers_per_object=2)
    run_job(dep, dep_job_id(dep), "test-runner")
    worker = login(client, "worker0@radiologists.example.org")
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=worker).json()
    done = client.post(
        f"/api/v1/worker/tasks/{task['task_id']}/answer",
        json={"answer": answer(VIEWS[1])},
        headers=worker,
    )
    assert done.status_code == 204
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=worker).json()
    client.post(f"/api/v1/worker/tasks/{task['task_id']}/decline", headers=worker)
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=worker).json()
    client.post(f"/api/v1/worker/tasks/{task['task_id']}/release", headers=worker)
    other = login(client, "worker1@radiologists.example.org")
    client.post("/api/v1/worker/jobs/views/next-task", headers=other)
    return login(client, "admin@example.org")


def dep_job_id(dep: Deployment) -> int:
    from truthset.jobs import describe_job

    return describe_job(dep, "views").id


def test_metrics(client: TestClient, dep: Deployment) -> None:
    admin = _work(client, dep)
    Runner(dep).run_once()  # a pass: its heartbeat is the runner lag's origin
    dep.clock.advance(2)  # type: ignore[attr-defined]
    found = samples(client, admin)
    route = "/api/v1/worker/jobs/{job}/next-task"
    assert (
        found[
            (
                "truthset_http_requests_total",
                (("method", "POST"), ("route", route), ("status", "200")),
            )
        ]
        >= 4
    )
    assert (
        found[
            ("truthset_http_request_duration_seconds_count", (("method", "POST"), ("route", route)))
        ]
        >= 4
    )
    assert found[("truthset_leases_total", ())] >= 4 and found[("truthset_answers_total", ())] >= 1
    # Three objects, two workers each: one answered, one declined once, one released.
    assert found[("truthset_job_queue_depth", (("job", "views"),))] == 3
    assert found[("truthset_job_leased_tasks", (("job", "views"),))] == 1
    assert found[("truthset_runner_lag_seconds", ())] == 2.0
    # Paths with tokens never become label values: the template does.
    assert not any(
        "media/" in value and "{" not in value for _, labels in found for _, value in labels
    )


def test_health_and_readiness(client: TestClient, tmp_path: Path, clock: ManualClock) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    # A database whose schema is behind this version (never migrated here).
    empty = tmp_path / "empty.db"
    create_engine(f"sqlite:///{empty}").dispose()
    stale = open_deployment(
        Settings(
            data_dir=tmp_path / "d",
            database_url=f"sqlite:///{empty}",
            secret_key="k",
            run_background=False,
        ),  # type: ignore[arg-type]
        clock=clock,
        migrate=False,
    )
    with TestClient(create_app(deployment=stale)) as other:
        response = other.get("/readyz")
        assert response.status_code == 503 and "schema" in response.json()["problems"][0]
        assert other.get("/healthz").status_code == 200
    stale.db.dispose()
    gone = open_deployment(
        Settings(
            data_dir=tmp_path / "e",
            database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
            secret_key="k",
            run_background=False,
        ),  # type: ignore[arg-type]
        clock=clock,
        migrate=False,
    )
    with TestClient(create_app(deployment=gone)) as other:
        response = other.get("/readyz")
        assert response.status_code == 503 and "unreachable" in response.json()["problems"][0]
    gone.db.dispose()


def test_request_log_has_ids_and_no_secrets(
    settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    path = tmp_path / "requests.log"
    dep = open_deployment(
        settings.model_copy(update={"request_log": str(path)}), clock=clock, migrate=False
    )
    with TestClient(create_app(deployment=dep)) as client:
        make_admin(dep)
        make_team(dep, "radiologists", workers=1)
        make_job(dep, "views", objects=1, workers_per_object=1)
        run_job(dep, dep_job_id(dep), "test-runner")
        worker = login(client, "worker0@radiologists.example.org")
        task = client.post(
            "/api/v1/worker/jobs/views/next-task", headers={**worker, "X-Request-Id": "lb-1234"}
        )
        assert task.headers["x-request-id"] == "lb-1234"
        media_url = task.json()["input"]["taskObject"]
        fetched = client.get(
            media_url + "?X-Amz-Signature=abc", headers={"X-Request-Id": "bad id\nforged"}
        )
        assert fetched.status_code == 200 and len(fetched.headers["x-request-id"]) == 32
        client.get("/oauth2/idpresponse?state=s3cret-state&code=s3cret-code")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    text = path.read_text()
    token = media_url.rsplit("/", 1)[1]
    bearer = worker["Authorization"].split()[1]
    for secret in (token, bearer, "s3cret", "X-Amz-Signature", "forged", "correct horse"):
        assert secret not in text
    by_id = {line["request_id"]: line for line in lines}
    assert by_id["lb-1234"]["route"] == "/api/v1/worker/jobs/{job}/next-task"
    assert by_id["lb-1234"]["actor"] == "worker0@radiologists.example.org"
    assert by_id["lb-1234"]["status"] == 200 and by_id["lb-1234"]["client"] == "testclient"
    assert {"/media/{token}", "/oauth2/idpresponse"} <= {line["route"] for line in lines}
    dep.db.dispose()


def test_worker_activity(client: TestClient, dep: Deployment) -> None:
    admin = _work(client, dep)
    dep.clock.advance(30)  # type: ignore[attr-defined]
    report = client.get("/api/v1/jobs/views/worker-activity", headers=admin).json()
    assert report["job"] == "views" and report["ActiveWorkers"] == 1
    first, second = report["workers"]
    assert first["email"] == "worker0@radiologists.example.org"
    assert (
        first["TasksAccepted"],
        first["TasksSubmitted"],
        first["TasksDeclined"],
        first["TasksReturned"],
    ) == (3, 1, 1, 1)
    assert (
        first["TimeSpent"] == 0.0 and first["MeanTimePerTask"] == 0.0
    )  # the manual clock stood still
    assert (second["TasksAccepted"], second["TasksSubmitted"]) == (1, 0) and second[
        "MeanTimePerTask"
    ] is None
    assert report["totals"]["TasksAccepted"] == 4
    page = client.get("/console/jobs/views", headers=admin)
    assert page.status_code == 200 and "Worker activity" in page.text
    assert client.get("/api/v1/jobs/nope/worker-activity", headers=admin).status_code == 404


def test_metrics_follow_the_admin_networks(settings: Settings, clock: ManualClock) -> None:
    limited = settings.model_copy(update={"admin_cidrs": ["10.0.0.0/8"]})
    dep = open_deployment(limited, clock=clock, migrate=False)
    with TestClient(create_app(deployment=dep)) as client:
        assert client.get("/metrics").status_code == 403
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
    dep.db.dispose()
