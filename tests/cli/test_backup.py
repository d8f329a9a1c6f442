"""`truthset backup` on a running job, `truthset restore` onto a fresh machine, and the job
finished there: every earlier answer, the output files and the sign-ins survive."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support import postgres
from tests.support.factories import answer, make_team, write_images, write_manifest
from truthset import dispatch, jobs, workforce
from truthset.background.runner import run_job
from truthset.deployment import Deployment, open_deployment
from truthset.settings import Settings


def truthset(settings: Settings, *args: str, code: int = 0) -> str:
    env = {
        **os.environ,
        "TRUTHSET_DATA_DIR": str(settings.data_dir),
        "TRUTHSET_DATABASE_URL": settings.database_url,
        "TRUTHSET_DATA_ROOTS": ":".join(str(root) for root in settings.data_roots),
    }
    done = subprocess.run(
        [sys.executable, "-m", "truthset.cli.main", *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == code, done.stdout + done.stderr
    return done.stdout + done.stderr


def answer_some(dep: Deployment, count: int) -> int:
    given = 0
    for email in ("worker0@radiologists.example.org", "worker1@radiologists.example.org"):
        user = workforce.get_user(dep, email)
        while given < count and (task := dispatch.next_task(dep, user, "views")) is not None:
            dispatch.submit_answer(dep, user, task.task_id, answer("Left-CC"))
            given += 1
    return given


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database on the 'new machine'."""
    if database_url.startswith("sqlite"):
        (tmp_path / "new").mkdir()
        return f"sqlite:///{tmp_path / 'new' / 'truthset.db'}"
    admin = request.getfixturevalue("pg_admin_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    request.addfinalizer(lambda: postgres.drop_database(admin, name))
    return postgres.create_database(admin, name)


def test_backup_restore_on_a_fresh_machine_and_finish_the_job(
    database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    roots = [tmp_path / "shared"]
    old = Settings(
        data_dir=tmp_path / "old", database_url=database_url, data_roots=roots,
        fast_password_hashing=True, run_background=False,
    )  # fmt: skip
    dep = open_deployment(old)
    make_team(dep, workers=2)
    images = write_images(roots[0] / "images", 4)
    output = roots[0] / "output"
    jobs.create_job(
        dep,
        jobs.JobRequest(
            name="views",
            manifest=str(
                write_manifest(roots[0] / "in.manifest", [{"source-ref": str(p)} for p in images])
            ),
            output=str(output),
            task_type="image-classification",
            team="radiologists",
            labels=["Left-CC", "Right-CC"],
            workers_per_object=2,
        ),
    )
    assert answer_some(dep, 4) == 4  # two objects done
    run_job(dep, jobs.describe_job(dep, "views").id, "test")
    dep.db.dispose()
    said = truthset(old, "backup", str(tmp_path / "backup"))
    assert "output folder" in said and (tmp_path / "backup" / "secret-key").exists()
    key = (old.data_dir / "secret-key").read_text()

    # The new machine: nothing of the old data dir or output folder, an empty database.
    shutil.rmtree(old.data_dir)
    shutil.rmtree(output)
    new = Settings(
        data_dir=tmp_path / "new-data", database_url=fresh_url, data_roots=roots,
        fast_password_hashing=True, run_background=False,
    )  # fmt: skip
    truthset(new, "restore", str(tmp_path / "backup"))
    assert (new.data_dir / "secret-key").read_text() == key
    again = truthset(new, "restore", str(tmp_path / "backup"), code=1)
    assert "--replace" in again

    dep = open_deployment(new, migrate=False)
    assert workforce.authenticate(
        dep, "worker0@radiologists.example.org", "correct horse battery", "c"
    )
    assert answer_some(dep, 4) == 4
    run_job(dep, jobs.describe_job(dep, "views").id, "test")
    done = jobs.describe_job(dep, "views")
    assert done.status == "Completed" and done.counters.total_labeled == 4
    lines = [json.loads(line) for line in Path(done.output_manifest).read_text().splitlines()]
    assert [line["views-metadata"]["class-name"] for line in lines] == ["Left-CC"] * 4
    responses = output / "views/annotations/worker-response/iteration-1"
    assert sorted(p.name for p in responses.iterdir()) == ["0", "1", "2", "3"]
    dep.db.dispose()
