"""A custom job whose post-annotation hook raises: its failed objects through the REST route
(httpx against the served app), the Python client, `truthset job failures` locally and in
remote mode, all the same list as failures.jsonl; only admins may read it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.support.factories import PASSWORD, make_admin, make_team, write_manifest
from tests.support.live import free_port, serve
from tests.tasktypes.test_custom_job import TEMPLATE, finish, work
from truthset import jobs
from truthset.app import create_app
from truthset.cli.main import app
from truthset.client import Client
from truthset.deployment import Deployment

RAISES = "def lambda_handler(event, context):\n    raise RuntimeError('database is down')\n"


def lines(dep: Deployment) -> list[dict[str, Any]]:
    second = str(dep.settings.data_dir.resolve() / "second.txt")
    return [{"source": "first review"}, {"source-ref": second}, {"source": "third review"}]


@pytest.fixture
def failed_job(dep: Deployment) -> jobs.JobInfo:
    """Three objects answered, then a post-annotation hook that raises fails all of them."""
    dep.settings.hook_attempts = 2
    make_admin(dep)
    (worker,) = make_team(dep, "raters", workers=1)
    root = dep.settings.data_dir.resolve()
    (root / "second.txt").write_text("second review")
    source = write_manifest(root / "raising.manifest", lines(dep))
    request = jobs.JobRequest(
        name="raising",
        manifest=str(source),
        output=str(dep.settings.data_dir / "out"),
        task_type="custom",
        team="raters",
        workers_per_object=1,
        ui_template=TEMPLATE,
        options={"post_hook": {"kind": "python", "name": "post.py", "source": RAISES}},
    )
    jobs.create_job(dep, request)
    work(dep, worker, "raising", {"sentiment": "pos"})
    job = finish(dep, "raising", passes=4)
    assert job.status == "Completed" and job.counters.failed == 3
    return job


@pytest.fixture
def served(dep: Deployment) -> Iterator[str]:
    with serve(create_app(deployment=dep), free_port()) as url:
        yield url


def token(url: str, email: str) -> str:
    response = httpx.post(f"{url}/api/v1/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def test_the_failures_route_pages_through_what_failed_where_and_when(
    dep: Deployment, failed_job: jobs.JobInfo, served: str
) -> None:
    headers = {"Authorization": f"Bearer {token(served, 'admin@example.org')}"}
    with httpx.Client(base_url=served, headers=headers) as http:
        first = http.get("/api/v1/jobs/raising/failures", params={"limit": 2})
        assert first.status_code == 200, first.text
        page = first.json()
        assert [f["object_id"] for f in page["failures"]] == [0, 1] and page["next_after"] == 1
        rest = http.get("/api/v1/jobs/raising/failures", params={"after": 1, "limit": 2}).json()
        assert [f["object_id"] for f in rest["failures"]] == [2] and rest["next_after"] is None
        missing = http.get("/api/v1/jobs/nosuchjob/failures")
        assert missing.status_code == 404
        # The console's job page lists them from the same listing.
        console = http.get("/console/jobs/raising")
        assert console.status_code == 200
        assert "object 1: post-annotation hook: the hook raised an exception" in console.text
    listed = page["failures"] + rest["failures"]
    assert [(f["source"], f["source_ref"]) for f in listed] == [
        ("first review", None),
        (None, lines(dep)[1]["source-ref"]),
        ("third review", None),
    ]
    for failed in listed:
        assert failed["step"] == "post-annotation hook" and failed["attempts"] == 2
        assert "RuntimeError: database is down" in failed["reason"]
        # The manual clock's time: when the last attempt failed.
        assert failed["failed_at"] == dep.clock.now().isoformat()
    # The same list as failures.jsonl.
    written = [
        json.loads(line)
        for line in (Path(failed_job.output_folder) / "manifests/output/failures.jsonl")
        .read_text()
        .splitlines()
    ]
    assert [
        (int(w["datasetObjectId"]), w["failureReason"], w["failedStep"], w["attempts"])
        for w in written
    ] == [(f["object_id"], f["reason"], f["step"], f["attempts"]) for f in listed]
    assert [w["dataObject"] for w in written] == lines(dep)


def test_workers_and_strangers_cannot_read_failures(
    dep: Deployment, failed_job: jobs.JobInfo, served: str
) -> None:
    worker = token(served, "worker0@raters.example.org")
    as_worker = httpx.get(
        f"{served}/api/v1/jobs/raising/failures", headers={"Authorization": f"Bearer {worker}"}
    )
    assert as_worker.status_code == 403
    assert httpx.get(f"{served}/api/v1/jobs/raising/failures").status_code == 401


def test_the_client_and_the_cli_list_the_failures_locally_and_remotely(
    dep: Deployment, failed_job: jobs.JobInfo, served: str
) -> None:
    admin = token(served, "admin@example.org")
    with Client(served, admin) as client:
        listed = list(client.failures("raising", page_size=1))
    assert [f.object_id for f in listed] == [0, 1, 2]
    assert listed[1].source_ref == lines(dep)[1]["source-ref"] and listed[1].attempts == 2
    assert listed[0].failed_at == dep.clock.now() and listed[0].step == "post-annotation hook"

    local = [
        "--data-dir",
        str(dep.settings.data_dir),
        "--database-url",
        dep.settings.resolved_database_url,
    ]
    env = {"TRUTHSET_SECRET_KEY": "test-secret-key", "TRUTHSET_TOKEN": admin}
    runs = {
        where: CliRunner().invoke(app, [*prefix, "job", "failures", "raising", "--json"], env=env)
        for where, prefix in (("local", local), ("remote", ["--url", served]))
    }
    for where, run in runs.items():
        assert run.exit_code == 0, (where, run.output)
        rows = [json.loads(line) for line in run.output.splitlines()]
        assert [r["object_id"] for r in rows] == [0, 1, 2], where
        assert rows[1]["source_ref"] == lines(dep)[1]["source-ref"]
        assert rows[2]["failed_at"] == dep.clock.now().isoformat() + "Z"
    assert runs["local"].output == runs["remote"].output
    table = CliRunner().invoke(app, [*local, "job", "failures", "raising"], env=env)
    assert table.exit_code == 0 and "second.txt" in table.output
    assert "post-annotation hook" in table.output and "database is down" in table.output
