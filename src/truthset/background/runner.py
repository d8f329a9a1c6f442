"""The background runner steps the active jobs: consolidation, output, leases, automated
labeling. `truthset serve` runs it in a process of its own next to each server (setting
`background_process`; otherwise as a thread of the server process).

Several processes may run; a job is worked on by one at a time, whichever holds its runner
lease (a row update, so it works the same on SQLite and PostgreSQL).
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.process
import os
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from truthset import collector
from truthset.audit import chain
from truthset.background import leases
from truthset.background.lifecycle import OutputSchedule, needs_work, step_job
from truthset.db.tables import Job, RunnerHeartbeat
from truthset.deployment import Deployment, open_deployment
from truthset.intake import publish
from truthset.jobs import ACTIVE
from truthset.notifications import delivery
from truthset.operations import metrics, multiprocess
from truthset.output import remove_crash_leftovers
from truthset.settings import Settings
from truthset.workforce import forget_old_failures

log = logging.getLogger(__name__)
RUNNER_NICENESS = 10
LEFTOVERS_INTERVAL = 3600.0
HEARTBEAT_INTERVAL = 5.0


class Runner:
    def __init__(self, dep: Deployment) -> None:
        self.dep = dep
        self.owner = leases.new_owner("server")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._schedule = OutputSchedule()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="truthset-runner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.dep.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        # Answers wake the runner, but passes stay at least this far apart: under load one pass
        # handles many closed objects, instead of a pass per object competing with dispatch.
        gap = min(0.5, self.dep.settings.background_interval)
        while not self._stop.is_set():
            self.dep.wake.wait(self.dep.settings.background_interval)
            self.dep.wake.clear()
            if self._stop.is_set():
                break
            try:
                self.run_once()
            except Exception:
                log.exception("background pass failed")
            self._stop.wait(gap)

    def run_once(self) -> None:
        """Steps every active job this process can get the lease of."""
        started = time.perf_counter()
        with self.dep.db.read() as conn:
            job_ids = list(
                conn.scalars(select(Job.id).where(Job.status.in_(ACTIVE)).order_by(Job.id))
            )
        now = self.dep.clock.now()
        for job_id in job_ids:
            if needs_work(self.dep, job_id, now):
                run_job(self.dep, job_id, self.owner, self._schedule)
        if self.dep.throttle.due("forget-failures", now, 60):
            forget_old_failures(self.dep, now)
        # The first pass (at start) and then hourly: crashed writes' temporary files.
        if self.dep.throttle.due("crash-leftovers", now, LEFTOVERS_INTERVAL):
            removed = remove_crash_leftovers(self.dep)
            if removed:
                log.info("removed %d temporary files left by interrupted writes", removed)
        # Entries join the chain (and the JSON-lines stream) within a pass of being written.
        chain.seal(self.dep)
        if self.dep.throttle.due("audit-retention", now, 3600):
            chain.prune(self.dep)
            forget_heartbeats(self.dep, now - timedelta(days=1))
        # Webhooks and e-mails wait in the outbox; sending them here keeps them out of requests.
        delivery.deliver_due(self.dep)
        # Streaming jobs' output lines, also those of jobs that stopped before all went out.
        publish.deliver_lines(self.dep)
        # A write per pass would compete with dispatch for SQLite's one writer; the lag metric
        # is read in tens of seconds, so a beat every few seconds is as good.
        if self.dep.throttle.due(("heartbeat", self.owner), now, HEARTBEAT_INTERVAL):
            heartbeat(self.dep, self.owner)
        metrics.runner_pass_done(time.perf_counter() - started)


def heartbeat(dep: Deployment, owner: str) -> None:
    """Notes that this runner finished a pass (the truthset_runner_lag_seconds metric)."""
    now = dep.clock.now()
    with dep.db.write() as conn:
        moved = conn.execute(
            update(RunnerHeartbeat).where(RunnerHeartbeat.owner == owner).values(beat_at=now)
        )
        if moved.rowcount == 0:
            conn.execute(insert(RunnerHeartbeat).values(owner=owner, beat_at=now))


def forget_heartbeats(dep: Deployment, before: datetime) -> None:
    """Drops the heartbeats of runners gone for a while (each process start has its own)."""
    with dep.db.write() as conn:
        conn.execute(delete(RunnerHeartbeat).where(RunnerHeartbeat.beat_at < before))


def run_job(
    dep: Deployment, job_id: int, owner: str, schedule: OutputSchedule | None = None
) -> bool:
    """Steps one job if its lease can be had; returns whether it was stepped."""
    if not leases.acquire(dep, job_id, owner):
        return False
    try:
        step_job(dep, job_id, owner, schedule or OutputSchedule())
    except Exception:
        log.exception("background work on job %s failed", job_id)
    finally:
        leases.release(dep, job_id, owner)
    return True


def start_process(settings: Settings) -> multiprocessing.process.BaseProcess:
    """Runs the background runner in a process of its own (what `truthset serve` does): request
    handling then keeps a whole core, and the runner's work (consolidation, output files,
    training) uses the other. Jobs' runner leases keep several processes from colliding."""
    process = multiprocessing.get_context("spawn").Process(
        target=_process_main, args=(settings, os.getpid()), name="truthset-runner", daemon=True
    )
    process.start()
    return process


def _process_main(settings: Settings, parent: int) -> None:
    # Background work yields the CPU to request handling when both want it: a worker waiting
    # for the next task matters more than an output manifest a few seconds fresher.
    os.nice(RUNNER_NICENESS)
    folder = multiprocess.inherited_folder()
    if folder is not None:
        multiprocess.enable(folder, "runner")
    dep = open_deployment(settings, migrate=False)
    collector.settle()
    runner = Runner(dep)
    runner.start()
    # Ends with the server, also when the server was killed and could not stop it.
    while os.getppid() == parent:
        time.sleep(1)
    runner.stop()
