"""Ingest and output at scale: create a job from a generated 1,000,000-line manifest, then write
its output manifest. Prints seconds and peak memory (RSS of this process).

    .venv/bin/python benchmarks/ingest.py [--lines 1000000] [--database-url URL]

Goal: job created in under 60 s, output written in under 30 s, peak memory under 500 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from sqlalchemy import update

from truthset import jobs, output, workforce
from truthset.db.tables import DataObject, Job
from truthset.deployment import open_deployment
from truthset.settings import Settings


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="truthset-ingest-"))
    settings = Settings(data_dir=folder, database_url=args.database_url, fast_password_hashing=True)
    dep = open_deployment(settings)
    workforce.create_team(dep, "bench")
    manifest = folder / "big.manifest"
    with manifest.open("w") as handle:
        for i in range(args.lines):
            handle.write(
                f'{{"source-ref": "{folder}/images/{i:07d}.jpg", "patient": "p{i % 9973}", "series": {i % 17}}}\n'
            )
    size_mb = manifest.stat().st_size / 1e6
    before = peak_mb()
    start = time.perf_counter()
    job = jobs.create_job(
        dep,
        jobs.JobRequest(
            name="big",
            manifest=str(manifest),
            output=str(folder / "out"),
            task_type="image-classification",
            team="bench",
            labels=["a", "b", "c"],
        ),
    )
    created = time.perf_counter() - start
    after_create = peak_mb()
    # Label every object, so the output writer merges a label into each of the million lines.
    label = {"big": 1, "big-metadata": {"class-name": "b", "confidence": 0.97, "type": "groundtruth/image-classification",
                                         "job-name": "labeling-job/big", "human-annotated": "yes",
                                         "creation-date": "2026-11-25T10:00:00.000000"}}  # fmt: skip
    with dep.db.write() as conn:
        conn.execute(
            update(DataObject)
            .where(DataObject.job_id == job.id)
            .values(state="labeled", label=json.dumps(label))
        )
        row = conn.execute(Job.__table__.select().where(Job.id == job.id)).one()
    start = time.perf_counter()
    output.write_manifest(dep, row)
    written = time.perf_counter() - start
    with Path(job.output_manifest).open() as written_file:
        out_lines = sum(1 for _ in written_file)
    backend = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    print(f"ingest benchmark: {backend}, {args.lines} lines ({size_mb:.0f} MB manifest)")
    print(
        f"  job created (checked + stored)   {created:6.1f} s   status {job.status}, {job.object_count} objects"
    )
    print(
        f"  output manifest written          {written:6.1f} s   {out_lines} lines, every one labeled"
    )
    print(
        f"  peak memory (RSS)                {max(after_create, peak_mb()):6.0f} MB   (before job creation: {before:.0f} MB)"
    )
    dep.db.dispose()


if __name__ == "__main__":
    main()
