"""What one /metrics scrape costs in multiprocess mode: a running 10,000-object job (the
database gauges) and a metrics folder holding the files of many processes that have come and
gone (each restart of a server or runner leaves its counters and histograms behind).

    .venv/bin/python benchmarks/metrics_scrape.py [--objects 10000] [--dead 0,10,100,1000]
        [--routes 30] [--database-url URL]

Dead processes are made by writing metrics under pids the kernel cannot hand out (above
pid_max), as a process that counted requests on `--routes` routes, leases, answers, hook
failures and runner passes would. Each row times reading the folder's files as the dead processes
left them, then, after a process start folded them (operations/metrics_archive.py), the scrape
(the same function /metrics runs, without HTTP), split into the files and the database gauges.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dispatch import fresh_database, prepare  # type: ignore[import-not-found]
from prometheus_client import CollectorRegistry, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from truthset.background.runner import Runner
from truthset.db.tables import DataObject
from truthset.deployment import Deployment, open_deployment
from truthset.operations import metrics, multiprocess
from truthset.operations.gauges import DatabaseCollector
from truthset.operations.scrape import exposition, registry_for
from truthset.settings import Settings

FIRST_DEAD_PID = 5_000_000  # above the kernel's largest pid_max (2**22)


def leave_dead_processes(folder: Path, start: int, count: int, routes: int) -> None:
    for pid in range(start, start + count):
        values.ValueClass = values.MultiProcessValue(lambda pid=pid: pid)
        metrics.rebuild()
        for route in range(routes):
            metrics.request_started()
            metrics.request_done("POST", f"/api/v1/route-{route}", 200, 0.01 * (route % 7))
        metrics.count_lease()
        metrics.count_answer()
        metrics.count_hook_failures("bench", 1)
        metrics.runner_pass_done(0.2)
        metrics.current().processes.labels("server").set(1)
        values.close_all_multiprocess_files()  # a process's files, closed as at its exit


def median_ms(call: Callable[[], object], times: int = 15) -> float:
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


def row(dep: Deployment, folder: Path, dead: int) -> str:
    """The folder's files read before the start of a process folds the dead ones, then one
    scrape's cost after it, from this (live) process."""
    files = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(files, path=str(folder))
    unfolded = f"| {dead} | {len(list(folder.glob('*.db')))} | {median_ms(lambda: generate_latest(files), 5):.1f} ms "
    multiprocess.enable(folder, "server")
    metrics.request_done("GET", "/metrics", 200, 0.01)
    registry = registry_for(dep)
    exposition(registry)  # the first scrape sweeps the dead processes' live gauges
    gauges = CollectorRegistry(auto_describe=False)
    gauges.register(DatabaseCollector(dep))
    line = unfolded + (
        f"| {len(list(folder.glob('*.db')))} "
        f"| {median_ms(lambda: exposition(registry)):.1f} ms "
        f"| {median_ms(lambda: generate_latest(files)):.1f} ms "
        f"| {median_ms(lambda: generate_latest(gauges)):.1f} ms |"
    )
    values.close_all_multiprocess_files()
    return line


def gauged_objects(dep: Deployment) -> float:
    """The job's objects as the scrape's database gauges count them (open or waiting)."""
    text = exposition(registry_for(dep)).decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name
        in ("truthset_job_queue_depth", "truthset_job_objects_awaiting_consolidation")
        for sample in family.samples
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--dead", default="0,10,100,1000")
    parser.add_argument("--routes", type=int, default=30)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="truthset-scrape-bench-"))
    folder = data / "metrics"
    folder.mkdir()
    os.environ[multiprocess.FOLDER_VARIABLE] = str(folder)
    try:
        url = fresh_database(args.database_url, "scrape")
        settings = Settings(data_dir=data, database_url=url, fast_password_hashing=True)
        prepare(settings, 5, args.objects, 3)
        dep = open_deployment(settings, migrate=False)
        Runner(dep).run_once()  # the job's objects open for workers
        print(
            "| dead processes | files | reading them | files after the fold | scrape p50 "
            f"| of it: files | of it: database ({args.objects} objects) |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|")
        made = 0
        for dead in (int(n) for n in args.dead.split(",")):
            leave_dead_processes(folder, FIRST_DEAD_PID + made, dead - made, args.routes)
            made = dead
            print(row(dep, folder, dead), flush=True)
        with dep.db.read() as conn:
            stored = conn.scalar(select(func.count()).select_from(DataObject))
        # Objects beyond the job's open window wait as 'queued', which the queue depth omits.
        print(
            f"job objects stored: {stored}, open or answered in the gauges: {gauged_objects(dep):.0f}"
        )
        dep.db.dispose()
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
