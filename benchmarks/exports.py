"""Exports of large jobs stream in bounded memory.

Builds two jobs of N objects on SQLite in a temporary folder (a bounding-box job with three
boxes per image and a text-classification job), created through `jobs.create_job` from a
manifest; their labels are then written straight into the database in the shape consolidation
writes (answering 100,000 objects through the dispatcher would time the dispatcher, not the
export). Then exports COCO (boxes) and JSON Lines (classification) with `exports.export_job`,
once at N/10 objects and once at N, and prints for each the seconds, the peak of Python memory
the peak resident memory of the process that exported grew by (each export runs in a fresh
process, measured with ru_maxrss against its size just before) and the size of the files.
Bounded memory shows as a growth that does not follow the number of objects.

Run: .venv/bin/python benchmarks/exports.py [--objects 100000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, update

from truthset import exports, jobs, workforce
from truthset.db.tables import DataObject
from truthset.deployment import Deployment, open_deployment
from truthset.settings import Settings

LABELS = ["car", "pedestrian", "bicycle"]
BATCH = 5_000


def box_label(attr: str, object_id: int) -> dict[str, Any]:
    annotations = [
        {"class_id": k, "left": 10 * k + object_id % 7, "top": 5 * k, "width": 40, "height": 30}
        for k in range(3)
    ]
    return {
        attr: {
            "image_size": [{"width": 640, "height": 480, "depth": 3}],
            "annotations": annotations,
        },
        f"{attr}-metadata": {
            "objects": [{"confidence": 0.91}, {"confidence": 0.85}, {"confidence": 0.77}],
            "class-map": {str(k): name for k, name in enumerate(LABELS)},
            "type": "groundtruth/object-detection",
            "job-name": "labeling-job/boxes",
            "human-annotated": "yes",
            "creation-date": "2026-11-25T09:30:00.123456",
        },
    }


def class_label(attr: str, object_id: int) -> dict[str, Any]:
    k = object_id % 3
    return {
        attr: k,
        f"{attr}-metadata": {
            "class-name": LABELS[k],
            "confidence": 0.93,
            "type": "groundtruth/text-classification",
            "job-name": "labeling-job/texts",
            "human-annotated": "yes",
            "creation-date": "2026-11-25T09:30:00.123456",
        },
    }


def make_job(dep: Deployment, name: str, task_type: str, count: int) -> None:
    root = dep.settings.data_dir.resolve()
    manifest = root / f"{name}.manifest"
    with manifest.open("w") as out:
        for i in range(count):
            line = (
                {"source": f"text number {i} about cars and people"}
                if task_type.startswith("text")
                else {"source-ref": str(root / "images" / f"{i:06d}.jpg")}
            )
            out.write(json.dumps(line) + "\n")
    request = jobs.JobRequest(
        name=name,
        manifest=str(manifest),
        output=str(root / "output"),
        task_type=task_type,
        team="bench",
        labels=LABELS,
        workers_per_object=3,
    )
    job = jobs.create_job(dep, request)
    label = class_label if task_type.startswith("text") else box_label
    statement = (
        update(DataObject)
        .where(DataObject.job_id == job.id, DataObject.object_id == bindparam("oid"))
        .values(state="labeled", answers=3, label=bindparam("text"))
    )
    for start in range(0, count, BATCH):
        rows = [
            {"oid": i, "text": json.dumps(label(job.label_attribute_name, i))}
            for i in range(start, min(start + BATCH, count))
        ]
        with dep.db.write() as conn:
            conn.execute(statement.execution_options(synchronize_session=False), rows)


def measure(
    settings: Settings, name: str, fmt: str, folder: Path
) -> tuple[float, float, float, int]:
    """Runs the export in a fresh process (so its peak resident memory is the export's own)
    and returns seconds, its peak RSS (MiB), the growth of peak RSS over the process's size before the export
    (MiB), and the bytes written."""
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            settings.database_url,
            str(settings.data_dir),
            name,
            fmt,
            str(folder),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak, growth = (float(x) for x in done.stdout.split())
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return seconds, peak, growth, size


def child(database_url: str, data_dir: str, name: str, fmt: str, folder: str) -> None:
    settings = Settings(
        data_dir=Path(data_dir),
        database_url=database_url,
        secret_key="bench",  # type: ignore[arg-type]
        run_background=False,
    )
    dep = open_deployment(settings, migrate=False)
    jobs.describe_job(dep, name)  # everything imported and connected before the baseline
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    exports.export_job(dep, name, fmt, Path(folder))
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(seconds, after / 1024, (after - before) / 1024)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--measure", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        child(*args.measure)
        return
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        settings = Settings(
            data_dir=root / "data",
            database_url=f"sqlite:///{root / 'truthset.db'}",
            secret_key="bench",  # type: ignore[arg-type]
            run_background=False,
            fast_password_hashing=True,
        )
        dep = open_deployment(settings)
        workforce.create_team(dep, "bench")
        print(
            f"{'objects':>8} {'format':>6} {'seconds':>8} {'objects/s':>10} {'peak RSS':>9} {'+RSS MiB':>9} {'file MiB':>9}"
        )
        for count in (args.objects // 10, args.objects):
            for name, task_type, fmt in (
                (f"boxes-{count}", "bounding-box", "coco"),
                (f"texts-{count}", "text-classification", "jsonl"),
            ):
                make_job(dep, name, task_type, count)
                seconds, peak, growth, size = measure(settings, name, fmt, root / f"{name}-{fmt}")
                print(
                    f"{count:>8} {fmt:>6} {seconds:>8.2f} {count / seconds:>10.0f} "
                    f"{peak:>9.1f} {growth:>9.1f} {size / 2**20:>9.1f}"
                )
        dep.db.dispose()


if __name__ == "__main__":
    main()
