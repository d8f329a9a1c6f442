"""The gauges read from the database when /metrics is scraped (queue depth, leased tasks,
objects awaiting consolidation, runner lag): a few indexed aggregate queries. They describe the
whole deployment, so every server process, on every host, reports the same values."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Connection, func, select

from truthset.db.tables import DataObject, Job, RunnerHeartbeat, Task
from truthset.deployment import Deployment

_ACTIVE = ("Initializing", "InProgress", "Stopping")


class DatabaseCollector(Collector):
    def __init__(self, dep: Deployment) -> None:
        self.dep = dep

    def collect(self) -> Iterator[Metric]:
        now = self.dep.clock.now()
        depth = GaugeMetricFamily(
            "truthset_job_queue_depth",
            "Data objects still open for workers, per job.",
            labels=["job"],
        )
        leased = GaugeMetricFamily(
            "truthset_job_leased_tasks", "Tasks leased to workers now, per job.", labels=["job"]
        )
        waiting = GaugeMetricFamily(
            "truthset_job_objects_awaiting_consolidation",
            "Data objects with all answers, not yet consolidated, per job.",
            labels=["job"],
        )
        with self.dep.db.read() as conn:
            names = dict(
                conn.execute(select(Job.id, Job.name).where(Job.status.in_(_ACTIVE))).all()
            )
            for state, family in (("open", depth), ("answered", waiting)):
                counts = dict.fromkeys(names, 0)
                counts.update(_objects_in(conn, list(names), state))
                for job_id, count in counts.items():
                    family.add_metric([names[job_id]], count)
            counts = dict.fromkeys(names, 0)
            counts.update(_leased(conn, list(names), now))
            for job_id, count in counts.items():
                leased.add_metric([names[job_id]], count)
            beat = conn.scalar(select(func.max(RunnerHeartbeat.beat_at)))
        yield depth
        yield leased
        yield waiting
        yield _lag(beat, now)


def _objects_in(conn: Connection, job_ids: list[int], state: str) -> dict[int, int]:
    if not job_ids:
        return {}
    rows = conn.execute(
        select(DataObject.job_id, func.count())
        .where(DataObject.job_id.in_(job_ids), DataObject.state == state)
        .group_by(DataObject.job_id)
    )
    return {int(job_id): int(count) for job_id, count in rows}


def _leased(conn: Connection, job_ids: list[int], now: datetime) -> dict[int, int]:
    if not job_ids:
        return {}
    rows = conn.execute(
        select(Task.job_id, func.count())
        .where(Task.status == "leased", Task.expires_at > now, Task.job_id.in_(job_ids))
        .group_by(Task.job_id)
    )
    return {int(job_id): int(count) for job_id, count in rows}


def _lag(beat: datetime | None, now: datetime) -> Metric:
    lag = GaugeMetricFamily(
        "truthset_runner_lag_seconds",
        "Seconds since the latest pass of any background runner (NaN: none has run).",
    )
    lag.add_metric([], (now - beat).total_seconds() if beat is not None else float("nan"))
    return lag
