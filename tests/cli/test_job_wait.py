"""`truthset job wait` off a terminal (a pipe, as in CI or a log): a line each time the figures
change, printed as they change, and paths printed whole (never cut with an ellipsis)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.factories import answer, make_job, make_team
from truthset import dispatch
from truthset.background.runner import Runner
from truthset.deployment import open_deployment
from truthset.settings import Settings


def test_job_wait_prints_progress_lines_as_it_goes(tmp_path: Path, database_url: str) -> None:
    # A deep folder, so that the output manifest's path is far longer than 80 columns.
    data = tmp_path / ("a-long-folder-name-" * 6) / "data"
    settings = Settings(
        data_dir=data, database_url=database_url, secret_key="wait-key", fast_password_hashing=True
    )  # type: ignore[arg-type]
    dep = open_deployment(settings, migrate=False)
    workers = make_team(dep, workers=1)
    job = make_job(dep, name="waited", objects=2, workers_per_object=1)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TRUTHSET_")},
        "TRUTHSET_DATA_DIR": str(data),
        "TRUTHSET_DATABASE_URL": database_url,
        "TRUTHSET_SECRET_KEY": "wait-key",
    }
    command = [sys.executable, "-m", "truthset.cli.main", "job", "wait", "waited"]
    waiting = subprocess.Popen(
        [*command, "--interval", "0.05"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert waiting.stdout is not None
    # Read before anything happened: the line was printed while the job still runs.
    assert waiting.stdout.readline() == "waited: 0 of 2 objects done, InProgress\n"
    task = dispatch.next_task(dep, workers[0], "waited")
    assert task is not None
    dispatch.submit_answer(dep, workers[0], task.task_id, answer("Left-CC"))
    Runner(dep).run_once()
    assert waiting.stdout.readline() == "waited: 1 of 2 objects done, InProgress\n"
    task = dispatch.next_task(dep, workers[0], "waited")
    assert task is not None
    dispatch.submit_answer(dep, workers[0], task.task_id, answer("Left-CC"))
    Runner(dep).run_once()
    rest = waiting.stdout.read()
    assert waiting.wait(timeout=60) == 0
    waiting.stdout.close()
    assert "waited: 2 of 2 objects done, Completed\n" in rest
    assert job.output_manifest in rest and "…" not in rest
    dep.db.dispose()
