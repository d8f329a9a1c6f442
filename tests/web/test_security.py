"""Who may do what: admin routes, other teams' jobs, tasks and media, CSRF, signed media URLs."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.support.factories import PASSWORD, make_admin, make_job, make_team
from truthset import workforce
from truthset.clock import ManualClock
from truthset.deployment import Deployment


def bearer(dep: Deployment, user_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {workforce.issue_token(dep, user_id, 'api')}"}


def test_admin_routes_need_an_admin(client: TestClient, dep: Deployment) -> None:
    (worker,) = make_team(dep, workers=1)
    assert client.get("/api/v1/jobs").status_code == 401
    assert (
        client.get("/api/v1/jobs", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    )
    response = client.get("/api/v1/jobs", headers=bearer(dep, worker.id))
    assert response.status_code == 403
    assert response.json() == {"error": {"type": "forbidden", "message": "this needs an admin"}}
    for method, path in [
        ("POST", "/api/v1/teams"),
        ("GET", "/api/v1/teams"),
        ("POST", "/api/v1/jobs/x/stop"),
    ]:
        assert client.request(method, path, headers=bearer(dep, worker.id)).status_code == 403
    assert client.get("/console", headers=bearer(dep, worker.id)).status_code == 403


def test_workers_see_only_their_teams_tasks_and_media(client: TestClient, dep: Deployment) -> None:
    (member,) = make_team(dep, "radiologists", workers=1)
    (outsider,) = make_team(dep, "pathologists", workers=1)
    make_job(dep, objects=2, workers_per_object=1)
    assert client.get("/api/v1/worker/jobs", headers=bearer(dep, outsider.id)).json() == []
    assert (
        client.post(
            "/api/v1/worker/jobs/views/next-task", headers=bearer(dep, outsider.id)
        ).status_code
        == 404
    )
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=bearer(dep, member.id)).json()
    for path in ("answer", "release", "decline"):
        response = client.post(
            f"/api/v1/worker/tasks/{task['task_id']}/{path}",
            headers=bearer(dep, outsider.id),
            json={"answer": {}},
        )
        assert response.status_code == 404
    assert (
        client.get(
            f"/api/v1/worker/tasks/{task['task_id']}/ui", headers=bearer(dep, outsider.id)
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/portal/tasks/{task['task_id']}/frame", headers=bearer(dep, outsider.id)
        ).status_code
        == 404
    )
    media = task["input"]["taskObject"]
    assert client.get(media).status_code == 200
    tampered = media[:-3] + ("AAA" if not media.endswith("AAA") else "BBB")
    assert client.get(tampered).status_code == 404
    client.post(f"/api/v1/worker/tasks/{task['task_id']}/release", headers=bearer(dep, member.id))
    assert client.get(media).status_code == 404, "media of a task no longer leased must not load"


def test_media_urls_expire_with_the_lease(
    client: TestClient, dep: Deployment, clock: ManualClock
) -> None:
    (member,) = make_team(dep, workers=1)
    make_job(dep, objects=1, workers_per_object=1, task_time_limit=60)
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=bearer(dep, member.id)).json()
    response = client.get(task["input"]["taskObject"])
    assert response.status_code == 200
    assert "sandbox" in response.headers["content-security-policy"]
    clock.advance(61)
    assert client.get(task["input"]["taskObject"]).status_code == 404


def test_late_answer_is_refused_with_410(
    client: TestClient, dep: Deployment, clock: ManualClock
) -> None:
    (member,) = make_team(dep, workers=1)
    make_job(dep, objects=1, workers_per_object=1, task_time_limit=60)
    headers = bearer(dep, member.id)
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=headers).json()
    clock.advance(61)
    response = client.post(
        f"/api/v1/worker/tasks/{task['task_id']}/answer",
        json={"answer": {"crowd-image-classifier": {"label": "Left-CC"}}},
        headers=headers,
    )
    assert (
        response.status_code == 410 and "time limit passed" in response.json()["error"]["message"]
    )


def test_cookie_requests_need_the_csrf_token(client: TestClient, dep: Deployment) -> None:
    (member,) = make_team(dep, workers=1)
    make_job(dep, objects=1, workers_per_object=1)
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert (
        client.post("/login", data={"email": member.email, "password": PASSWORD}).status_code == 403
    )
    signed_in = client.post(
        "/login",
        data={"email": member.email, "password": PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/portal"
    assert "httponly" in signed_in.headers["set-cookie"].lower()
    assert client.post("/api/v1/worker/jobs/views/next-task").status_code == 403
    response = client.post("/api/v1/worker/jobs/views/next-task", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200
    assert client.get("/portal").status_code == 200


def test_login_is_rate_limited_and_errors_are_json(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    for _ in range(dep.settings.login_max_failures):
        assert (
            client.post(
                "/api/v1/login", json={"email": "admin@example.org", "password": "nope"}
            ).status_code
            == 401
        )
    response = client.post(
        "/api/v1/login", json={"email": "admin@example.org", "password": PASSWORD}
    )
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    assert response.json()["error"]["type"] == "too_many_requests"
    assert client.post("/api/v1/login", json={"email": "x"}).json()["error"]["type"] == "invalid"


def test_api_errors_for_bad_job_requests(client: TestClient, dep: Deployment) -> None:
    admin = make_admin(dep)
    make_team(dep, workers=0)
    headers = bearer(dep, admin.id)
    root = dep.settings.data_dir.resolve()
    (root / "bad.manifest").parent.mkdir(parents=True, exist_ok=True)
    (root / "bad.manifest").write_text('{"source-ref": "/etc/passwd"}\nnot json\n')
    body = {
        "name": "j",
        "manifest": str(root / "bad.manifest"),
        "output": str(root / "o"),
        "team": "radiologists",
        "labels": ["a", "b"],
    }
    response = client.post("/api/v1/jobs", json=body, headers=headers)
    assert response.status_code == 400
    assert [p.split(":")[0] for p in response.json()["error"]["problems"]] == ["line 1", "line 2"]
    assert client.get("/api/v1/jobs", headers=headers).json() == []
    assert (
        client.post("/api/v1/jobs", json={**body, "team": "nobody"}, headers=headers).status_code
        == 400
    )
    assert (
        client.post("/api/v1/jobs", json={**body, "labels": ["a"]}, headers=headers).status_code
        == 400
    )
    assert (
        client.post("/api/v1/jobs", json={**body, "name": "bad name"}, headers=headers).status_code
        == 400
    )
    for options in ({"gold_ratio": "abc"}, {"sagemaker": {"LabelAttributeName": "x"}}):
        refused = client.post("/api/v1/jobs", json={**body, "options": options}, headers=headers)
        assert refused.status_code == 400 and refused.json()["error"]["type"] == "invalid"
    assert client.get("/api/v1/jobs/missing", headers=headers).status_code == 404
    assert (
        client.post("/api/v1/teams", json={"name": "RADIOLOGISTS"}, headers=headers).status_code
        == 409
    )


def test_openapi_document_and_security_headers(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/worker/jobs/{job}/next-task" in schema["paths"]
    page = client.get("/login")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
