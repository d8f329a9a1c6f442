"""`truthset serve` runs the background runner in a process of its own; it completes jobs."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.factories import answer, make_job, make_team
from truthset import dispatch, jobs
from truthset.background.runner import start_process
from truthset.deployment import open_deployment
from truthset.settings import Settings


def test_the_runner_process_completes_a_job(tmp_path: Path, database_url: str) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, secret_key="k",  # type: ignore[arg-type]
        background_interval=0.2, output_interval=0, fast_password_hashing=True,
    )  # fmt: skip
    dep = open_deployment(settings, migrate=False)
    (worker,) = make_team(dep, workers=1)
    make_job(dep, objects=2, workers_per_object=1)
    process = start_process(settings)
    try:
        while (task := dispatch.next_task(dep, worker, "views")) is not None:
            dispatch.submit_answer(dep, worker, task.task_id, answer("Left-CC"))
        deadline = time.monotonic() + 60
        while jobs.describe_job(dep, "views").status != "Completed":
            assert process.is_alive(), "the runner process died"
            assert time.monotonic() < deadline, "the runner process did not complete the job"
            time.sleep(0.1)
        assert (
            Path(jobs.describe_job(dep, "views").output_manifest).read_text().count("Left-CC") == 2
        )
    finally:
        process.terminate()
        process.join(timeout=10)
        dep.db.dispose()
