"""/metrics of real `truthset serve` processes sharing one host's metrics folder: the scrape of
one server adds up every server's and every runner child's counters, and a process killed
with SIGKILL leaves its counters in the totals (folded into the archive file by the next
start) but not its live gauges."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support import servers
from tests.support.factories import make_team
from tests.tasktypes.test_custom_job import TEMPLATE, manifest
from truthset import jobs
from truthset.deployment import open_deployment
from truthset.settings import Settings

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
HEALTHZ = (
    "truthset_http_requests_total",
    (("method", "GET"), ("route", "/healthz"), ("status", "200")),
)
FAILING_HOOK = "def lambda_handler(event, context):\n    raise ValueError('unreadable')\n"


def scrape(url: str) -> Samples:
    response = httpx.get(f"{url}/metrics", timeout=30)
    assert response.status_code == 200
    found: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def processes(found: Samples, role: str) -> float:
    return found.get(("truthset_processes", (("role", role),)), 0.0)


def eventually(url: str, condition: Callable[[Samples], bool], what: str) -> Samples:
    deadline = time.monotonic() + 90
    while True:
        found = scrape(url)
        if condition(found):
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {found}"
        time.sleep(0.3)


def live_files(folder: Path, pid: int) -> list[str]:
    return sorted(path.name for path in folder.glob(f"gauge_live*_{pid}.db"))


def hook_job(settings: Settings) -> None:
    """A custom job whose pre-annotation hook fails: the runner children count the failures."""
    dep = open_deployment(settings, migrate=False)
    make_team(dep, "raters", workers=1)
    request = jobs.JobRequest(
        name="prefail",
        manifest=manifest(dep, "prefail", [{"source": "a"}, {"source": "b"}]),
        output=str(settings.data_dir / "out"),
        task_type="custom",
        team="raters",
        workers_per_object=1,
        ui_template=TEMPLATE,
        options={"pre_hook": {"kind": "python", "name": "pre.py", "source": FAILING_HOOK}},
    )
    jobs.create_job(dep, request)
    dep.db.dispose()


def test_one_scrape_sums_the_servers_and_runners_of_the_host(
    tmp_path: Path, database_url: str
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, secret_key="k",  # type: ignore[arg-type]
        fast_password_hashing=True,
    )  # fmt: skip
    hook_job(settings)
    env = {
        "TRUTHSET_DATA_DIR": str(settings.data_dir),
        "TRUTHSET_DATABASE_URL": database_url,
        "TRUTHSET_SECRET_KEY": "k",
        "TRUTHSET_FAST_PASSWORD_HASHING": "true",
        "TRUTHSET_BACKGROUND_INTERVAL": "0.2",
        "TRUTHSET_HOOK_ATTEMPTS": "50",  # the hook keeps failing, pass after pass
        "TRUTHSET_REQUEST_LOG": "",
    }
    folder = settings.data_dir / "metrics" / socket.gethostname()
    with servers.running(env, 2) as (first, second):
        for url, count in ((first.url, 3), (second.url, 5)):
            for _ in range(count):
                assert httpx.get(f"{url}/healthz").status_code == 200
        found = eventually(
            first.url,
            lambda f: (
                processes(f, "runner") == 2
                and f.get(("truthset_hook_failures_total", (("job", "prefail"),)), 0) > 0
            ),
            "both runners and a hook failure",
        )
        assert found[HEALTHZ] == 8 and processes(found, "server") == 2
        # Counted by the runner children only: the servers run no background work.
        assert found[("truthset_runner_pass_duration_seconds_count", ())] > 0
        assert found[("truthset_runner_last_pass_timestamp_seconds", ())] > time.time() - 60
        assert scrape(second.url)[HEALTHZ] == 8  # either server answers for the host
        # The server and its runner (its other child, multiprocessing's tracker, counts nothing).
        killed = [p for p in (second.process.pid, *second.children()) if live_files(folder, p)]
        assert len(killed) == 2 and killed[0] == second.process.pid
        second.kill()
        # The restart sweeps the killed processes' live gauges before any scrape does.
        restarted = servers.start(env)
        try:
            assert [live_files(folder, pid) for pid in killed] == [[] for _ in killed]
            # Its counters are folded into the archive, not dropped.
            assert not (folder / f"counter_{second.process.pid}.db").exists()
            assert (folder / "counter_archive.db").exists()
            found = eventually(
                first.url, lambda f: processes(f, "runner") == 2, "the new server's runner"
            )
            # The killed server's requests stay in the host's totals; it is no longer live.
            assert found[HEALTHZ] == 8 and processes(found, "server") == 2
            assert found[("truthset_http_requests_in_progress", ())] == 1  # this scrape
        finally:
            restarted.process.terminate()
            restarted.process.wait(timeout=30)
            restarted.log.close()


def test_serve_refuses_a_different_inherited_multiprocess_folder(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TRUTHSET_DATA_DIR": str(tmp_path / "data"),
        "TRUTHSET_METRICS_DIR": str(tmp_path / "ours"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "theirs"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "truthset.cli.main", "serve", "--port", "9"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 1 and b"Traceback" not in done.stderr  # a one-line error
    assert b"set only TRUTHSET_METRICS_DIR" in done.stderr
    assert not (tmp_path / "ours").exists()
