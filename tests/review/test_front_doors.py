"""Loops over truthset's own front doors: the REST API (admin starts and reads loops, a worker
gets the loop on their next task) and the CLI (`flow create`, `loop start/describe/list`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.support.factories import PASSWORD, make_admin, make_team
from truthset import task_uis
from truthset.background.runner import run_job
from truthset.cli.main import app
from truthset.deployment import Deployment
from truthset.review import flows

TEMPLATE = "<crowd-form><p>{{ task.input.text }}</p><input name='verdict'></crowd-form>"


def _login(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/api/v1/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _flow(dep: Deployment) -> None:
    task_uis.create_task_ui(dep, "verdict-ui", TEMPLATE)
    flows.create_flow(
        dep,
        flows.FlowRequest(
            name="verdicts",
            team="radiologists",
            task_ui="verdict-ui",
            task_count=1,
            title="Check",
            description="Is it right?",
            output_path=str(dep.settings.data_dir.resolve() / "a2i"),
        ),
    )


def test_loops_over_rest(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    worker = make_team(dep, "radiologists", workers=1)[0]
    _flow(dep)
    admin, as_worker = _login(client, "admin@example.org"), _login(client, worker.email)
    assert client.get("/api/v1/flows", headers=as_worker).status_code == 403
    assert [f["name"] for f in client.get("/api/v1/flows", headers=admin).json()] == ["verdicts"]
    started = client.post(
        "/api/v1/flows/verdicts/loops",
        json={"name": "first", "input": {"text": "a"}},
        headers=admin,
    )
    assert started.status_code == 201 and started.json()["status"] == "InProgress"
    unnamed = client.post(
        "/api/v1/flows/verdicts/loops", json={"input": {"text": "b"}}, headers=admin
    )
    assert unnamed.json()["name"].startswith("loop-")
    again = client.post(
        "/api/v1/flows/verdicts/loops",
        json={"name": "first", "input": {"text": "c"}},
        headers=admin,
    )
    assert again.status_code == 409
    assert (
        client.post("/api/v1/flows/nope/loops", json={"input": {}}, headers=admin).status_code
        == 404
    )

    task = client.post("/api/v1/worker/jobs/verdicts/next-task", headers=as_worker).json()
    assert task["input"] == {"text": "a"}

    first = client.get("/api/v1/flows/verdicts/loops?limit=1&ascending=true", headers=admin).json()
    assert [loop["name"] for loop in first["loops"]] == ["first"] and first["next"]
    rest = client.get(
        "/api/v1/flows/verdicts/loops",
        params={"limit": 1, "ascending": True, "after": first["next"]},
        headers=admin,
    ).json()
    assert [loop["name"] for loop in rest["loops"]] == [unnamed.json()["name"]]
    assert "next" not in rest or rest["next"] is None

    assert client.get("/api/v1/loops/first", headers=admin).json()["flow"] == "verdicts"
    assert client.delete("/api/v1/loops/first", headers=admin).status_code == 400
    assert client.post("/api/v1/loops/first/stop", headers=admin).json()["status"] == "Stopping"
    assert client.delete("/api/v1/loops/first", headers=admin).status_code == 400
    # The background runner's pass (none runs in this app) ends the loop.
    assert run_job(dep, flows.get_flow(dep, "verdicts").job_id, "test-runner")
    assert client.get("/api/v1/loops/first", headers=admin).json()["status"] == "Stopped"
    late = client.post(
        f"/api/v1/worker/tasks/{task['task_id']}/answer",
        json={"answer": {"verdict": "x"}},
        headers=as_worker,
    )
    assert late.status_code == 410
    assert client.post("/api/v1/loops/first/stop", headers=admin).status_code == 400
    assert client.delete("/api/v1/loops/first", headers=admin).status_code == 204
    assert client.get("/api/v1/loops/first", headers=admin).status_code == 404


def test_loops_from_the_cli(tmp_path: Path, database_url: str) -> None:
    runner = CliRunner()
    env = {"TRUTHSET_FAST_PASSWORD_HASHING": "1", "TRUTHSET_SECRET_KEY": "cli-test-key"}
    base = ["--data-dir", str(tmp_path / "data"), "--database-url", database_url]

    def run(*args: str, stdin: str | None = None, code: int = 0) -> str:
        result = runner.invoke(app, [*base, *args], env=env, input=stdin)
        assert result.exit_code == code, (result.output, result.exception)
        return result.output

    run("team", "create", "radiologists")
    template = tmp_path / "ui.liquid"
    template.write_text(TEMPLATE)
    run("template", "create", "verdict-ui", str(template))
    output = str(tmp_path / "data" / "out")
    created = run(
        "flow", "create", "verdicts", "--team", "radiologists", "--template", "verdict-ui",
        "--output", output, "--title", "Check", "--description", "Is it right?", "--workers", "2",
    )  # fmt: skip
    assert "created" in created
    assert "verdicts" in run("flow", "list")
    assert "started" in run(
        "loop", "start", "verdicts", "--input", '{"text": "a"}', "--name", "one"
    )
    assert "already exists" in run(
        "loop", "start", "verdicts", "--input", '{"text":"a"}', "--name", "one"
    )
    assert "started" in run(
        "loop", "start", "verdicts", "--input", "-", stdin=json.dumps({"text": "b"})
    )
    described = run("loop", "describe", "one")
    assert "InProgress" in described and "flow verdicts" in described
    listed = run("loop", "list", "verdicts")
    assert "one" in listed and listed.count("InProgress") == 2
    bad = run("loop", "start", "verdicts", "--input", "{not json", code=1)
    assert "not valid JSON" in bad
    assert "Stopped" in run("loop", "stop", "one")
    assert "deleted" in run("loop", "delete", "one")
    assert "in progress" in run("flow", "delete", "verdicts", code=1)


def test_the_console_shows_a_flows_job(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    make_team(dep, "radiologists", workers=1)
    _flow(dep)
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post(
        "/login",
        data={"email": "admin@example.org", "password": PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert "verdicts" in client.get("/console").text
    for path in ("/console/jobs/verdicts", "/console/jobs/verdicts/quality"):
        response = client.get(path)
        assert response.status_code == 200 and "verdicts" in response.text, path
