"""truthset.client and the CLI's remote mode against a real `truthset serve` process (with its
background runner), on SQLite and PostgreSQL. Workers answer through the domain on the same
database; everything the admin does goes through the client."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.support import servers
from tests.support.factories import PASSWORD, make_admin, make_team, write_images, write_manifest
from truthset import dispatch, workforce
from truthset.cli.main import app
from truthset.client import ApiError, Client
from truthset.deployment import Deployment, open_deployment
from truthset.errors import NotReady
from truthset.settings import Settings
from truthset.workforce import UserInfo

LABELS = ["cat", "dog"]


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[tuple[str, Deployment]]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="client-test-key",  # type: ignore[arg-type]
        run_background=False,
        fast_password_hashing=True,
    )
    dep = open_deployment(settings)
    make_admin(dep)
    env = {
        "TRUTHSET_DATA_DIR": str(settings.data_dir),
        "TRUTHSET_DATABASE_URL": database_url,
        "TRUTHSET_SECRET_KEY": "client-test-key",
        "TRUTHSET_FAST_PASSWORD_HASHING": "true",
        "TRUTHSET_OUTPUT_INTERVAL": "0",
        "TRUTHSET_BACKGROUND_INTERVAL": "0.2",
    }
    with servers.running(env, 1) as (live,):
        yield live.url, dep
    dep.db.dispose()


def manifest(dep: Deployment, name: str, count: int = 3) -> Path:
    root = dep.settings.data_dir.resolve()
    images = write_images(root / f"{name}-images", count)
    return write_manifest(root / f"{name}.manifest", [{"source-ref": str(p)} for p in images])


def answer_all(dep: Deployment, workers: list[UserInfo], name: str, label: Any) -> None:
    """Each worker answers every object once the server's runner has stored them."""
    deadline = time.monotonic() + 60
    for worker in workers:
        answered = 0
        while answered < 3:
            try:
                task = dispatch.next_task(dep, worker, name)
            except NotReady:  # the server's runner is still storing the objects
                task = None
            if task is None:
                assert time.monotonic() < deadline, "no task came"
                time.sleep(0.2)
                continue
            content = {"crowd-image-classifier": {"label": label(task.object_id)}}
            dispatch.submit_answer(dep, worker, task.task_id, content)
            answered += 1


def test_the_client_runs_a_job_end_to_end(server: tuple[str, Deployment], tmp_path: Path) -> None:
    url, dep = server
    with pytest.raises(ApiError) as refused:
        Client.login(url, "admin@example.org", "wrong password")
    assert refused.value.status == 401
    with Client.login(url, "admin@example.org", PASSWORD) as client:
        assert client.me()["is_admin"] is True
        client.create_team("pets", "pet pictures")
        workers = make_team(dep, "readers", workers=2)  # (a second team, made on the server's db)
        assert [t.name for t in client.teams()] == ["pets", "readers"]
        job = client.create_job(
            "pets",
            str(manifest(dep, "pets")),
            str(dep.settings.data_dir.resolve() / "out"),
            "readers",
            labels=LABELS,
            workers_per_object=2,
        )
        assert job.status == "Initializing" and job.labels == LABELS
        answer_all(dep, workers, "pets", lambda o: LABELS[o % 2])
        seen: list[int] = []
        done = client.wait(
            "pets", interval=0.2, timeout=60, on_progress=lambda j: seen.append(j.done)
        )
        assert done.status == "Completed" and done.counters.total_labeled == 3
        assert seen[-1] == 3
        assert [j.name for j in client.jobs()] == ["pets"]

        results = list(client.results("pets", page_size=2))
        assert [r.object_id for r in results] == [0, 1, 2]
        assert [r.line["pets-metadata"]["class-name"] for r in results] == ["cat", "dog", "cat"]
        frame = client.dataframe("pets")
        assert list(frame["object_id"]) == [0, 1, 2] and list(frame["label"]) == [0, 1, 0]
        assert list(frame["answers"]) == [2, 2, 2]
        assert frame["source-ref"][0].endswith("img-0000.png")

        run = client.export("pets", "jsonl", tmp_path / "export")
        assert run.status == "Completed" and run.objects == 3
        rows = [
            json.loads(x) for x in (tmp_path / "export" / "labels.jsonl").read_text().splitlines()
        ]
        assert [r["label"] for r in rows] == ["cat", "dog", "cat"]
        with pytest.raises(ApiError) as wrong:
            client.start_export("pets", "coco")
        assert wrong.value.status == 400 and "does not apply" in wrong.value.message

        client.create_job(
            "later",
            str(manifest(dep, "later")),
            str(dep.settings.data_dir.resolve() / "out"),
            "readers",
            labels=LABELS,
        )
        stopped = client.stop_job("later")
        assert stopped.status in ("Stopping", "Stopped")
        assert client.wait("later", interval=0.2, timeout=60).status == "Stopped"


def test_the_cli_acts_on_a_server_with_url(server: tuple[str, Deployment], tmp_path: Path) -> None:
    url, dep = server
    runner = CliRunner()
    no_token = runner.invoke(app, ["--url", url, "team", "list"], env={"TRUTHSET_TOKEN": ""})
    assert no_token.exit_code == 1 and "needs a token in TRUTHSET_TOKEN" in no_token.output
    login = runner.invoke(
        app, ["--url", url, "login", "admin@example.org", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert login.exit_code == 0, login.output
    env = {"TRUTHSET_TOKEN": login.output.strip()}

    def run(*args: str) -> str:
        done = runner.invoke(app, ["--url", url, *args], env=env)
        assert done.exit_code == 0, done.output
        return done.output

    assert "team pets created" in run("team", "create", "pets", "--description", "pet pictures")
    assert "pets" in run("team", "list")
    emails = ["a@example.org", "b@example.org"]
    workers = [user for user, _ in workforce.create_workers(dep, emails, "pets", PASSWORD)]
    created = run(
        "job",
        "create",
        "pets",
        "--manifest",
        str(manifest(dep, "pets")),
        "--output",
        str(dep.settings.data_dir.resolve() / "out"),
        "--team",
        "pets",
        "--labels",
        "cat,dog",
        "--workers-per-object",
        "2",
    )
    assert "job pets created with 3 objects; status Initializing" in created
    answer_all(dep, workers, "pets", lambda o: "dog")
    waited = run("job", "wait", "pets", "--interval", "0.2")
    assert "Completed" in waited and "TotalLabeled" in waited
    assert "Completed" in run("job", "list")
    assert "cat, dog" in run("job", "describe", "pets")
    exported = run("job", "export", "pets", "--format", "csv", "-o", str(tmp_path / "csv"))
    assert f"3 objects exported as csv to {tmp_path / 'csv'}" in exported
    assert (tmp_path / "csv" / "labels.csv").read_text().count(",dog,") == 3

    missing = runner.invoke(app, ["--url", url, "job", "describe", "nope"], env=env)
    assert missing.exit_code == 1 and "error:" in missing.output
    local_only = runner.invoke(app, ["--url", url, "team", "show", "pets"], env=env)
    assert local_only.exit_code == 1 and "acts on the local deployment only" in local_only.output


def test_the_client_imports_no_server_code() -> None:
    script = (
        "import sys, truthset.client\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('truthset', 'fastapi', 'sqlalchemy', 'starlette', 'typer', 'uvicorn')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == str(
        ["truthset", "truthset.client", "truthset.client.client", "truthset.client.models"]
    )


def test_the_client_sends_an_object_back(server: tuple[str, Deployment]) -> None:
    url, dep = server
    with Client.login(url, "admin@example.org", PASSWORD) as client:
        workers = make_team(dep, "readers", workers=3)
        client.create_job(
            "pets",
            str(manifest(dep, "pets")),
            str(dep.settings.data_dir.resolve() / "out"),
            "readers",
            labels=LABELS,
            workers_per_object=2,
        )
        answer_all(dep, workers[:2], "pets", lambda o: LABELS[o % 2])
        assert client.wait("pets", interval=0.2, timeout=60).status == "Completed"
        with pytest.raises(ApiError) as too_many:
            client.send_back("pets", 0, answers=2)
        assert too_many.value.status == 400
        sent = client.send_back("pets", 0)
        assert (sent.answers, sent.wanted, sent.job_status) == (2, 3, "InProgress")
        with pytest.raises(ApiError) as again:
            client.send_back("pets", 0)
        assert again.value.status == 409
        task = dispatch.next_task(dep, workers[2], "pets")
        assert task is not None and task.object_id == 0
        dispatch.submit_answer(
            dep, workers[2], task.task_id, {"crowd-image-classifier": {"label": "cat"}}
        )
        assert client.wait("pets", interval=0.2, timeout=60).status == "Completed"
        first = next(iter(client.results("pets")))
        assert first.answers == 3 and first.line["pets-metadata"]["class-name"] == "cat"
