"""The metrics each process counts: requests, latencies, leases, answers, hook failures and the
runner's passes. `truthset serve` puts them in prometheus-client's multiprocess mode
(operations/multiprocess.py), where every process of the host writes its values to files in one
folder and a scrape of any server adds them up; elsewhere (tests, CLI commands) they are plain
in-process values. The metrics are made on first use, not at import: prometheus-client fixes a
value's storage when the value is made, and the mode is chosen after the modules are imported."""

from __future__ import annotations

import time
from dataclasses import dataclass

from prometheus_client import Counter, Gauge, Histogram

_SECONDS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_PASS_SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True)
class ProcessMetrics:
    requests: Counter
    latency: Histogram
    in_progress: Gauge
    leases: Counter
    answers: Counter
    hook_failures: Counter
    runner_passes: Histogram
    runner_last_pass: Gauge
    processes: Gauge


def _build() -> ProcessMetrics:
    # registry=None: the scrape's registry (operations/scrape.py) collects them, from this
    # process or from every process's files.
    return ProcessMetrics(
        requests=Counter(
            "truthset_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=None,
        ),
        latency=Histogram(
            "truthset_http_request_duration_seconds",
            "Time to the end of the response, by method and route template.",
            ["method", "route"],
            buckets=_SECONDS,
            registry=None,
        ),
        # livesum: the requests in flight in the host's live processes; a killed process's
        # count leaves the sum when its files are swept.
        in_progress=Gauge(
            "truthset_http_requests_in_progress",
            "Requests being answered now.",
            registry=None,
            multiprocess_mode="livesum",
        ),
        leases=Counter("truthset_leases", "Tasks leased to workers.", registry=None),
        answers=Counter(
            "truthset_answers", "Answers stored (acknowledged to workers).", registry=None
        ),
        hook_failures=Counter(
            "truthset_hook_failures",
            "Failed pre- or post-annotation hook calls (per data object attempt).",
            ["job"],
            registry=None,
        ),
        runner_passes=Histogram(
            "truthset_runner_pass_duration_seconds",
            "Background runner passes over the active jobs, by duration.",
            buckets=_PASS_SECONDS,
            registry=None,
        ),
        # livemax: the newest pass of a runner still alive on this host (a dead runner's last
        # pass would otherwise keep the host looking served).
        runner_last_pass=Gauge(
            "truthset_runner_last_pass_timestamp_seconds",
            "Unix time of the latest pass of a live background runner of this host.",
            registry=None,
            multiprocess_mode="livemax",
        ),
        processes=Gauge(
            "truthset_processes",
            "Live truthset processes adding to this host's metrics, by role (server, runner).",
            ["role"],
            registry=None,
            multiprocess_mode="livesum",
        ),
    )


_BUILT: list[ProcessMetrics] = []


def current() -> ProcessMetrics:
    if not _BUILT:
        _BUILT.append(_build())
    return _BUILT[0]


def rebuild() -> ProcessMetrics:
    """Makes the metrics again, with the value storage prometheus-client has now."""
    _BUILT.clear()
    return current()


def request_started() -> None:
    current().in_progress.inc()


def request_done(method: str, route: str, status: int, seconds: float) -> None:
    found = current()
    found.in_progress.dec()
    found.requests.labels(method, route, str(status)).inc()
    found.latency.labels(method, route).observe(seconds)


def count_lease() -> None:
    current().leases.inc()


def count_answer() -> None:
    current().answers.inc()


def count_hook_failures(job: str, count: int) -> None:
    current().hook_failures.labels(job).inc(count)


def runner_pass_done(seconds: float) -> None:
    found = current()
    found.runner_passes.observe(seconds)
    found.runner_last_pass.set(time.time())
