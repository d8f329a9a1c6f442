# prometheus-client's mmap_dict module has no type hints.
# mypy: disable-error-code="no-untyped-call"
"""The counters and histograms of processes that have died, folded into one file per type
(counter_archive.db, histogram_archive.db): a scrape reads every file in the folder, so without
this each restart of a server or runner would make every later scrape slower (benchmarks/
metrics_scrape.py: about 1.5 ms per dead process with 30 routes counted).

The values are added, so the host's totals stay what they were. A fold writes the new archive
beside the old one, then a journal naming what it replaces and removes, then does it; a fold cut
short by a crash is finished (journal) or dropped (no journal) by the next one, so a dead
process's values are never counted twice or lost. Scrapes hold the folder's lock shared, folds
exclusively: no scrape sees a half-done fold."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client.mmap_dict import MmapedDict

JOURNAL = "archive-journal.json"
_PROCESS_FILE = re.compile(r"(counter|histogram)_(\d+)\.db")


@contextmanager
def locked(folder: Path, exclusive: bool) -> Iterator[None]:
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def fold(folder: Path, is_dead: Callable[[int], bool]) -> int:
    """Folds the files of the processes `is_dead` names (call under the exclusive lock);
    returns how many files were folded."""
    finish(folder)
    dead: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("*.db")):
        match = _PROCESS_FILE.fullmatch(path.name)
        if match is not None and is_dead(int(match[2])):
            dead.setdefault(match[1], []).append(path)
    if not dead:
        return 0
    for kind, paths in dead.items():
        _write_archive(folder, kind, paths)
    plan = {
        "replace": [f"{kind}_archive.tmp" for kind in dead],
        "remove": [path.name for paths in dead.values() for path in paths],
    }
    _write_durably(folder / (JOURNAL + ".tmp"), json.dumps(plan))
    os.replace(folder / (JOURNAL + ".tmp"), folder / JOURNAL)
    finish(folder)
    return len(plan["remove"])


def finish(folder: Path) -> None:
    """Completes a fold a crash interrupted after its journal, or drops one cut short before."""
    journal = folder / JOURNAL
    if not journal.exists():
        for leftover in folder.glob("*_archive.tmp"):
            leftover.unlink()
        return
    plan = json.loads(journal.read_text())
    for name in plan["replace"]:
        if (folder / name).exists():
            os.replace(folder / name, folder / name.replace(".tmp", ".db"))
    for name in plan["remove"]:
        (folder / name).unlink(missing_ok=True)
    journal.unlink()


def _write_archive(folder: Path, kind: str, paths: list[Path]) -> None:
    archive, draft = folder / f"{kind}_archive.db", folder / f"{kind}_archive.tmp"
    if archive.exists():
        shutil.copyfile(archive, draft)
    else:
        draft.unlink(missing_ok=True)
    target = MmapedDict(str(draft))
    try:
        for path in paths:
            for key, value, _, _ in MmapedDict.read_all_values_from_file(str(path)):
                total, _ = target.read_value(key)
                target.write_value(key, total + value, 0.0)
    finally:
        target.close()
    with open(draft, "rb+") as handle:
        os.fsync(handle.fileno())


def _write_durably(path: Path, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
