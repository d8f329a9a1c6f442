"""Temporary files of output writes interrupted by a crash are removed by the background runner:
when it starts and then periodically. A write under way (a fresh file) is left alone."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.support.factories import make_job, make_team
from truthset import jobs
from truthset.background.runner import LEFTOVERS_INTERVAL, Runner, start_process
from truthset.clock import ManualClock
from truthset.deployment import Deployment, open_deployment
from truthset.output import STALE_WRITE_SECONDS
from truthset.settings import Settings


def _leftover(folder: Path, name: str, age: float) -> Path:
    path = folder / f".{name}.{int(age)}k3j2h1.tmp"
    path.write_text('{"source-ref": "half a line')
    moment = time.time() - age
    os.utime(path, (moment, moment))
    return path


def test_the_runner_process_removes_leftovers_when_it_starts(
    tmp_path: Path, database_url: str
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, secret_key="k",  # type: ignore[arg-type]
        background_interval=0.2, output_interval=0, fast_password_hashing=True,
    )  # fmt: skip
    dep = open_deployment(settings, migrate=False)
    make_team(dep, workers=1)
    make_job(dep, objects=2, workers_per_object=1)
    output = Path(jobs.describe_job(dep, "views").output_manifest).parent
    output.mkdir(parents=True, exist_ok=True)
    stale = _leftover(output, "output.manifest", STALE_WRITE_SECONDS + 60)
    fresh = _leftover(output, "output.manifest", 0)  # another process writing it now
    process = start_process(settings)
    try:
        deadline = time.monotonic() + 120  # a loaded machine takes a while to spawn it
        while stale.exists():
            assert process.is_alive(), f"the runner process died: {process.exitcode}"
            assert time.monotonic() < deadline, "the leftover was not removed"
            time.sleep(0.1)
        assert fresh.exists()
    finally:
        process.terminate()
        process.join(timeout=10)
        dep.db.dispose()


def test_the_runner_removes_leftovers_periodically(dep: Deployment, clock: ManualClock) -> None:
    make_team(dep, workers=1)
    make_job(dep, objects=2, workers_per_object=1)
    output = Path(jobs.describe_job(dep, "views").output_manifest).parent
    output.mkdir(parents=True, exist_ok=True)
    runner = Runner(dep)
    runner.run_once()  # the first pass, as at start
    (output / "annotations").mkdir(exist_ok=True)
    later = _leftover(output / "annotations", "worker-response", STALE_WRITE_SECONDS + 60)
    runner.run_once()
    assert later.exists()  # not yet due
    clock.advance(LEFTOVERS_INTERVAL + 1)
    runner.run_once()
    assert not later.exists()
