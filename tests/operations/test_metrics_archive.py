"""Folding dead processes' counter files into the archive: totals kept, a fold cut short by a
crash finished (after its journal) or dropped (before it), never counted twice."""

from __future__ import annotations

import json
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector

from truthset.operations import metrics_archive

KEY = mmap_key("truthset_answers", "truthset_answers_total", [], [], "Answers stored.")


def write(path: Path, value: float) -> None:
    values = MmapedDict(str(path))
    values.write_value(KEY, value, 0.0)
    values.close()


def total(folder: Path) -> float:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))
    found = registry.get_sample_value("truthset_answers_total")
    assert found is not None
    return found


def test_a_fold_keeps_the_total_and_leaves_live_processes_alone(tmp_path: Path) -> None:
    write(tmp_path / "counter_archive.db", 5)
    write(tmp_path / "counter_111.db", 2)
    write(tmp_path / "counter_222.db", 3)
    assert total(tmp_path) == 10
    with metrics_archive.locked(tmp_path, exclusive=True):
        assert metrics_archive.fold(tmp_path, lambda pid: pid == 111) == 1
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["counter_222.db", "counter_archive.db"]
    assert total(tmp_path) == 10
    with metrics_archive.locked(tmp_path, exclusive=True):
        assert metrics_archive.fold(tmp_path, lambda pid: True) == 1
        assert metrics_archive.fold(tmp_path, lambda pid: True) == 0
    assert [p.name for p in tmp_path.glob("*.db")] == ["counter_archive.db"]
    assert total(tmp_path) == 10


def test_a_fold_cut_short_is_finished_or_dropped(tmp_path: Path) -> None:
    write(tmp_path / "counter_archive.db", 5)
    write(tmp_path / "counter_111.db", 2)
    # Killed before its journal: the draft is dropped, the dead file is still counted.
    write(tmp_path / "counter_archive.tmp", 7)
    metrics_archive.finish(tmp_path)
    assert not (tmp_path / "counter_archive.tmp").exists() and total(tmp_path) == 7
    # Killed after its journal: the next fold (or scrape) completes it.
    write(tmp_path / "counter_archive.tmp", 7)
    plan = {"replace": ["counter_archive.tmp"], "remove": ["counter_111.db"]}
    (tmp_path / metrics_archive.JOURNAL).write_text(json.dumps(plan))
    with metrics_archive.locked(tmp_path, exclusive=True):
        assert metrics_archive.fold(tmp_path, lambda pid: True) == 0
    left = sorted(p.name for p in tmp_path.glob("*") if p.name != ".lock")
    assert left == ["counter_archive.db"]
    assert total(tmp_path) == 7
