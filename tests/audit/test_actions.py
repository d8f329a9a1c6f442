"""Every audited action, driven through its public interface (REST API, console, CLI, media
URLs), leaves exactly one entry naming who, what, which job and object, and from where."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.audit.support import leaves_one
from tests.support.factories import PASSWORD, VIEWS, make_admin, write_images, write_manifest
from truthset.background.runner import run_job
from truthset.cli.main import app as cli
from truthset.deployment import Deployment
from truthset.identity import resets
from truthset.jobs import list_jobs


def login(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/api/v1/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def step(dep: Deployment) -> None:
    for job in list_jobs(dep):
        run_job(dep, job.id, "test-runner")


def _team_and_job(client: TestClient, dep: Deployment, admin: dict[str, str]) -> None:
    with leaves_one(dep, "team.created"):
        assert (
            client.post("/api/v1/teams", json={"name": "readers"}, headers=admin).status_code == 201
        )
    with leaves_one(dep, "team.members_added") as entry:
        body = {"emails": ["w0@example.org", "w1@example.org"], "password": PASSWORD}
        assert (
            client.post("/api/v1/teams/readers/workers", json=body, headers=admin).status_code
            == 201
        )
    assert json.loads(entry[0].detail)["team"] == "readers"
    with leaves_one(dep, "team.invited"):
        body = {"emails": ["new@example.org"]}
        assert (
            client.post("/api/v1/teams/readers/invitations", json=body, headers=admin).status_code
            == 200
        )
    root = dep.settings.data_dir.resolve()
    images = write_images(root / "images", 3)
    manifest = write_manifest(root / "in.manifest", [{"source-ref": str(p)} for p in images])
    body = {
        "name": "views",
        "manifest": str(manifest),
        "output": str(root / "out"),
        "team": "readers",
        "labels": VIEWS,
        "workers_per_object": 2,
    }
    with leaves_one(dep, "job.created") as entry:
        assert client.post("/api/v1/jobs", json=body, headers=admin).status_code == 201
    assert entry[0].job == "views" and entry[0].actor == "admin@example.org"
    step(dep)


def test_worker_actions(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    with leaves_one(dep, "signin") as entry:
        admin = login(client, "admin@example.org")
    assert entry[0].actor == "admin@example.org" and entry[0].address == "testclient"
    with leaves_one(dep, "signin.failed") as entry:
        bad = client.post("/api/v1/login", json={"email": "admin@example.org", "password": "no"})
        assert bad.status_code == 401
    assert entry[0].actor == "admin@example.org" and "no" not in entry[0].detail
    _team_and_job(client, dep, admin)
    worker = login(client, "w0@example.org")
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=worker).json()
    with leaves_one(dep, "media.fetched") as entry:
        assert client.get(task["input"]["taskObject"]).status_code == 200
    fetched = entry[0]
    assert (fetched.actor, fetched.job, fetched.object_id) == (
        "w0@example.org",
        "views",
        int(task["data_object_id"]),
    )
    assert fetched.request_id and fetched.address == "testclient"
    with leaves_one(dep, "task.answered") as entry:
        answer = {"answer": {"crowd-image-classifier": {"label": VIEWS[0]}}}
        done = client.post(
            f"/api/v1/worker/tasks/{task['task_id']}/answer", json=answer, headers=worker
        )
        assert done.status_code == 204
    assert entry[0].object_id == int(task["data_object_id"])
    assert json.loads(entry[0].detail) == {"task": task["task_id"]}
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=worker).json()
    with leaves_one(dep, "task.released"):
        assert (
            client.post(
                f"/api/v1/worker/tasks/{task['task_id']}/release", headers=worker
            ).status_code
            == 204
        )
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=worker).json()
    with leaves_one(dep, "task.declined") as entry:
        assert (
            client.post(
                f"/api/v1/worker/tasks/{task['task_id']}/decline", headers=worker
            ).status_code
            == 204
        )
    assert entry[0].actor == "w0@example.org"


def test_admin_actions_and_exports(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    admin = login(client, "admin@example.org")
    _team_and_job(client, dep, admin)
    with leaves_one(dep, "worker.disabled"):
        assert (
            client.post("/api/v1/workers/w1@example.org/disable", headers=admin).status_code == 200
        )
    with leaves_one(dep, "worker.enabled"):
        assert (
            client.post("/api/v1/workers/w1@example.org/enable", headers=admin).status_code == 200
        )
    with leaves_one(dep, "team.member_removed"):
        assert (
            client.delete("/api/v1/teams/readers/members/w1@example.org", headers=admin).status_code
            == 204
        )
    with leaves_one(dep, "job.stopped") as entry:
        assert client.post("/api/v1/jobs/views/stop", headers=admin).status_code == 200
    assert entry[0].job == "views"
    step(dep)
    with leaves_one(dep, "export.output_manifest"):
        assert client.get("/console/jobs/views/output.manifest", headers=admin).status_code == 200
    with leaves_one(dep, "export.worker_quality"):
        assert client.get("/console/jobs/views/quality.csv", headers=admin).status_code == 200
    with leaves_one(dep, "export.audit"):
        assert client.get("/console/audit/export.jsonl", headers=admin).status_code == 200
    with leaves_one(dep, "team.deleted"):
        assert client.delete("/api/v1/teams/readers", headers=admin).status_code == 204


def test_oidc_refusal(client: TestClient, dep: Deployment) -> None:
    with leaves_one(dep, "signin.failed") as entry:
        refused = client.get("/oauth2/idpresponse?state=forged&code=stolen")
        assert refused.status_code == 401
    assert json.loads(entry[0].detail)["method"] == "oidc"


def test_cli_actions(dep: Deployment) -> None:
    runner = CliRunner()
    env = {
        "TRUTHSET_DATA_DIR": str(dep.settings.data_dir),
        "TRUTHSET_DATABASE_URL": dep.settings.database_url,
    }

    def run(*args: str, input: str | None = None) -> str:
        result = runner.invoke(cli, list(args), env=env, input=input)
        assert result.exit_code == 0, result.output
        return result.output

    with leaves_one(dep, "admin.created") as entry:
        run("admin", "create", "boss@example.org", "--password-stdin", input=PASSWORD + "\n")
    assert entry[0].actor.startswith("cli:") and entry[0].address == "local"
    with leaves_one(dep, "admin.created"):
        run("admin", "create", "second@example.org", "--password-stdin", input=PASSWORD + "\n")
    with leaves_one(dep, "admin.revoked"):
        run("admin", "demote", "second@example.org")
    with leaves_one(dep, "admin.granted"):
        run("admin", "enable", "second@example.org")
    with leaves_one(dep, "accesskey.created") as entry:
        key_id = json.loads(run("admin", "access-key", "create", "boss@example.org"))["AccessKeyId"]
    assert json.loads(entry[0].detail)["key"] == key_id
    with leaves_one(dep, "accesskey.revoked"):
        run("admin", "access-key", "revoke", key_id)
    with leaves_one(dep, "team.created"):
        run("team", "create", "readers")
    with leaves_one(dep, "team.groups_set"):
        run("team", "groups", "readers", "radiology")
    with leaves_one(dep, "export.audit"):
        lines = run("audit", "export", "--format", "jsonl").splitlines()
    assert [json.loads(line)["action"] for line in lines][:2] == ["admin.created", "admin.created"]
    assert all(len(json.loads(line)["hash"]) == 64 for line in lines)
    rows = run("audit", "export", "--format", "csv", "--action", "accesskey.created").splitlines()
    assert rows[0].startswith("seq,id,at,actor") and len(rows) == 2 and key_id in rows[1]
    later = run("audit", "export", "--since", "2999-01-01T00:00:00+01:00", "--format", "csv")
    assert later.splitlines() == [rows[0]]
    assert "0 entries removed" in run("audit", "prune")  # no retention set


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def test_invitation_and_reset_sign_ins(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    admin = login(client, "admin@example.org")
    client.post("/api/v1/teams", json={"name": "readers"}, headers=admin)
    invited = client.post(
        "/api/v1/teams/readers/invitations", json={"emails": ["new@example.org"]}, headers=admin
    ).json()["invitations"][0]["url"]
    path = invited.removeprefix("http://testserver")
    form = {"password": PASSWORD, "confirm": PASSWORD, "csrf_token": _csrf(client, path)}
    with leaves_one(dep, "signin") as entry:
        assert client.post(path, data=form, follow_redirects=False).status_code == 303
    assert json.loads(entry[0].detail) == {"method": "invitation"}
    link = resets.reset_link(dep, "new@example.org").removeprefix("http://testserver")
    new = "another horse battery"
    form = {"password": new, "confirm": new, "csrf_token": _csrf(client, link)}
    with leaves_one(dep, "signin") as entry:
        assert client.post(link, data=form, follow_redirects=False).status_code == 303
    assert entry[0].actor == "new@example.org"
    assert json.loads(entry[0].detail) == {"method": "password reset"}
