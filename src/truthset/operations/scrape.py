"""What /metrics serves: the processes' metrics (this process's, or in multiprocess mode the
sum over the host's processes' files) and the database gauges."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from truthset.deployment import Deployment
from truthset.operations import metrics, metrics_archive, multiprocess
from truthset.operations.gauges import DatabaseCollector


class HostFiles(Collector):
    """The folder's files, read under its shared lock: a process starting meanwhile folds
    dead processes' files only before or after the read, never during it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files = MultiProcessCollector(None, path=str(folder))  # type: ignore[no-untyped-call]

    def collect(self) -> Iterable[Metric]:
        if (self.folder / metrics_archive.JOURNAL).exists():
            with metrics_archive.locked(self.folder, exclusive=True):
                metrics_archive.finish(self.folder)  # a fold a crash cut short
        with metrics_archive.locked(self.folder, exclusive=False):
            return list(self.files.collect())  # type: ignore[no-untyped-call]


def registry_for(dep: Deployment) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    folder = multiprocess.active_folder()
    if folder is None:
        found = metrics.current()
        for field in fields(found):
            registry.register(getattr(found, field.name))
    else:
        # This process's own metrics are in the folder too: registering them as well would
        # report them twice.
        registry.register(HostFiles(folder))
    registry.register(DatabaseCollector(dep))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    folder = multiprocess.active_folder()
    if folder is not None:
        multiprocess.sweep(folder)
    return generate_latest(registry)
