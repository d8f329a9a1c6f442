"""Custom-job hooks: objects per second through a Python pre- and post-annotation hook, and what
they cost dispatch.

A custom job of N objects with a Python-file pre-hook and post-hook (sandboxed child processes)
is run through the background runner's steps, timed separately:
  - pre-hook: from import until every object is ready for workers (the hook's taskInput stored);
  - dispatch: W workers lease and answer every task, in-process (next_task + submit_answer);
  - post-hook: consolidation of every answered object through the hook (payload file, event,
    response, labels stored).
The same dispatch loop over a built-in text-classification job of the same size gives the
baseline: the custom job's dispatch (whose tasks read the stored taskInput) should be within
10% of it, since the pre-hook is not in the next-task path.

    .venv/bin/python benchmarks/hooks.py [--objects 10000] [--workers 10] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import exists, select

from truthset import dispatch, jobs, workforce
from truthset.background import prehooks
from truthset.background.labeling import consolidate_answered
from truthset.db.tables import DataObject, Job
from truthset.deployment import Deployment, open_deployment
from truthset.settings import Settings

PRE_HOOK = """
def lambda_handler(event, context):
    line = event["dataObject"]
    return {"taskInput": {"taskObject": line["source"], "labels": ["pos", "neg"]}}
"""
POST_HOOK = """
import json
from collections import Counter

def lambda_handler(event, context):
    with open(event["payload"]["s3Uri"].removeprefix("file://")) as handle:
        payload = json.load(handle)
    attribute = event["labelAttributeName"]
    out = []
    for item in payload:
        votes = Counter(a["annotationData"]["content"] for a in item["annotations"])
        out.append({"datasetObjectId": item["datasetObjectId"],
                    "consolidatedAnnotation": {"content": {attribute: json.loads(votes.most_common(1)[0][0])}}})
    return out
"""
TEMPLATE = "<crowd-form><p>{{ task.input.taskObject }}</p><input name='sentiment'></crowd-form>"


def make_job(dep: Deployment, name: str, objects: int, custom: bool) -> jobs.JobInfo:
    folder = dep.settings.data_dir.resolve()
    manifest = folder / f"{name}.manifest"
    manifest.write_text(
        "".join(json.dumps({"source": f"review {i}"}) + "\n" for i in range(objects))
    )
    options: dict[str, Any] = {}
    if custom:
        options = {
            "pre_hook": {"kind": "python", "name": "pre.py", "source": PRE_HOOK},
            "post_hook": {"kind": "python", "name": "post.py", "source": POST_HOOK},
        }
    request = jobs.JobRequest(
        name=name,
        manifest=str(manifest),
        output=str(folder / "out"),
        task_type="custom" if custom else "text-classification",
        team="bench",
        labels=None if custom else ["pos", "neg"],
        workers_per_object=1,
        ui_template=TEMPLATE if custom else None,
        max_concurrent_tasks=5000,
        options=options,
    )
    return jobs.create_job(dep, request)


def run_pre_hook(dep: Deployment, name: str) -> float:
    job = jobs.describe_job(dep, name)
    with dep.db.read() as conn:
        row = conn.execute(select(Job.__table__).where(Job.id == job.id)).one()
    started = time.perf_counter()
    while jobs.describe_job(dep, name).counters.unlabeled and _waiting(dep, job.id):
        prehooks.step(dep, row)
    return time.perf_counter() - started


def _waiting(dep: Deployment, job_id: int) -> bool:
    with dep.db.read() as conn:
        return bool(
            conn.scalar(
                select(exists().where(DataObject.job_id == job_id, DataObject.state == "prehook"))
            )
        )


def run_dispatch(
    dep: Deployment, name: str, workers: list[workforce.UserInfo]
) -> tuple[float, int]:
    started = time.perf_counter()
    done = 0
    active = list(workers)
    while active:
        for worker in list(active):
            task = dispatch.next_task(dep, worker, name)
            if task is None:
                active.remove(worker)
                continue
            dispatch.submit_answer(dep, worker, task.task_id, _answer(name, done))
            done += 1
    return time.perf_counter() - started, done


def _answer(name: str, n: int) -> dict[str, Any]:
    label = "pos" if n % 3 else "neg"
    if name.startswith("builtin"):
        return {"crowd-classifier": {"label": label}}
    return {"sentiment": label}


def run_post_hook(dep: Deployment, name: str) -> float:
    job_id = jobs.describe_job(dep, name).id
    started = time.perf_counter()
    for _ in range(50):
        with dep.db.read() as conn:
            row = conn.execute(select(Job.__table__).where(Job.id == job_id)).one()
        consolidate_answered(dep, row, force=True)
        if not jobs.describe_job(dep, name).counters.unlabeled:
            break
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            data_dir=Path(folder),
            database_url=args.database_url,
            secret_key="hooks-benchmark-key",  # type: ignore[arg-type]
            run_background=False,
            fast_password_hashing=True,
        )
        dep = open_deployment(settings)
        workforce.create_team(dep, "bench")
        emails = [f"w{i}@bench.example" for i in range(args.workers)]
        people = [
            user for user, _ in workforce.create_workers(dep, emails, "bench", "benchmark password")
        ]
        make_job(dep, "builtin", args.objects, custom=False)
        make_job(dep, "custom", args.objects, custom=True)
        pre = run_pre_hook(dep, "custom")
        base_seconds, base_done = run_dispatch(dep, "builtin", people)
        custom_seconds, custom_done = run_dispatch(dep, "custom", people)
        post = run_post_hook(dep, "custom")
        job = jobs.describe_job(dep, "custom")
        assert job.counters.human_labeled == args.objects, job.counters
        base_rate, custom_rate = base_done / base_seconds, custom_done / custom_seconds
        print(
            f"objects: {args.objects}, workers: {args.workers}, database: {settings.resolved_database_url.split(':')[0]}"
        )
        print(f"pre-annotation hook:  {args.objects / pre:8.0f} objects/s ({pre:.1f} s)")
        print(f"post-annotation hook: {args.objects / post:8.0f} objects/s ({post:.1f} s)")
        print(f"dispatch, built-in:   {base_rate:8.0f} tasks/s")
        print(
            f"dispatch, custom:     {custom_rate:8.0f} tasks/s ({100 * (custom_rate / base_rate - 1):+.1f}%)"
        )
        dep.db.dispose()


if __name__ == "__main__":
    main()
