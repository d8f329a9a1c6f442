"""What /metrics serves: the processes' metrics (this process's, or in multiprocess mode the
sum over the host's processes' files) and the database gauges."""

from __future__ import annotations

from dataclasses import fields

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from truthset.deployment import Deployment
from truthset.operations import metrics, metrics_archive, multiprocess
from truthset.operations.gauges import DatabaseCollector


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
        MultiProcessCollector(registry, path=str(folder))  # type: ignore[no-untyped-call]
    registry.register(DatabaseCollector(dep))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    folder = multiprocess.active_folder()
    if folder is None:
        return generate_latest(registry)
    multiprocess.sweep(folder)
    if (folder / metrics_archive.JOURNAL).exists():
        with metrics_archive.locked(folder, exclusive=True):
            metrics_archive.finish(folder)  # a fold a crash cut short
    with metrics_archive.locked(folder, exclusive=False):
        return generate_latest(registry)
