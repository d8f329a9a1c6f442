"""Metrics across the processes of one host, with prometheus-client's multiprocess mode: each
process (every `truthset serve` server and its runner child) writes its values to its own files
in one folder, named by its pid, and /metrics on any server adds up the folder's files.

Counters and histograms of a process that has died stay in the host's totals: folded into one
archive file per type when a process starts (operations/metrics_archive.py). The live gauges (requests in progress, processes, a runner's latest pass) of
a dead process are swept: at each process start, and at each scrape. A pid is dead when the
kernel has no such process, which is why the folder belongs to one host and one pid namespace
(the default names the host: <data_dir>/metrics/<hostname>)."""

from __future__ import annotations

import os
import re
import socket
from contextlib import suppress
from pathlib import Path

from prometheus_client import multiprocess as client_multiprocess
from prometheus_client import values

from truthset.operations import metrics, metrics_archive
from truthset.settings import Settings

FOLDER_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_LIVE_FILE = re.compile(r"gauge_live[a-z]+_(\d+)\.db")


def folder_for(settings: Settings) -> Path:
    if settings.metrics_dir:
        return Path(settings.metrics_dir)
    return settings.data_dir / "metrics" / socket.gethostname()


def enable(folder: Path, role: str) -> None:
    """Puts this process's metrics in the folder (before it counts anything). The runner
    child finds the folder in the environment variable prometheus-client reads, set here."""
    folder = folder.resolve()
    inherited = os.environ.get(FOLDER_VARIABLE)
    if inherited and Path(inherited).resolve() != folder:
        raise ValueError(
            f"{FOLDER_VARIABLE}={inherited} differs from the metrics folder {folder} "
            "(TRUTHSET_METRICS_DIR): set only TRUTHSET_METRICS_DIR"
        )
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[FOLDER_VARIABLE] = str(folder)
    with metrics_archive.locked(folder, exclusive=True):
        # A process that had this pid before (a container's pid 1 after a restart) left files
        # that this process would otherwise read back as its own.
        sweep(folder, include_self=True)
        me = os.getpid()
        metrics_archive.fold(folder, lambda pid: pid == me or not _alive(pid))
    if not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
    metrics.rebuild().processes.labels(role).set(1)


def active_folder() -> Path | None:
    """The folder this process's metrics are in, or None when they are in-process only."""
    folder = os.environ.get(FOLDER_VARIABLE)
    if folder and getattr(values.ValueClass, "_multiprocess", False):
        return Path(folder)
    return None


def inherited_folder() -> Path | None:
    """The folder a parent process put its metrics in (the runner child's case)."""
    folder = os.environ.get(FOLDER_VARIABLE)
    return Path(folder) if folder else None


def sweep(folder: Path, include_self: bool = False) -> int:
    """Removes the live gauges' files of processes that are gone; returns how many."""
    me = os.getpid()
    gone: set[int] = set()
    for path in folder.glob("gauge_live*.db"):
        match = _LIVE_FILE.fullmatch(path.name)
        if match is None:
            continue
        pid = int(match[1])
        if (include_self and pid == me) or (pid != me and not _alive(pid)):
            gone.add(pid)
    for pid in gone:
        # Two processes may sweep at once: the other one may have removed a file first.
        with suppress(FileNotFoundError):
            client_multiprocess.mark_process_dead(pid, str(folder))  # type: ignore[no-untyped-call]
    return len(gone)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True
