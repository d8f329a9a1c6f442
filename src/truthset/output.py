"""Ground Truth's output folder (reference section 5), written through the storage layer.

Every file is replaced atomically. The output manifest is streamed from the database in
object-id order, so memory stays flat whatever the job's size.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select

from truthset.db.sqlite_cursor import run
from truthset.db.tables import DataObject, Job
from truthset.deployment import Deployment
from truthset.errors import TruthsetError
from truthset.failures import REFUSED, failed_objects
from truthset.storage.base import join
from truthset.tasktypes.base import ObjectAnswers, ObjectLabel, WorkerAnswer

ITERATION = "iteration-1"
_CHUNK = 20_000
# A write not touched for this long is not under way in any process: its file is a leftover.
STALE_WRITE_SECONDS = 600.0


def job_folder(job: Any) -> str:
    return join(job.output_uri, job.name)


def remove_crash_leftovers(dep: Deployment, older_than: float = STALE_WRITE_SECONDS) -> int:
    """Removes the temporary files that writes interrupted by a crash (kill -9, power loss)
    left in the jobs' output folders; the background runner calls it when it starts and then
    periodically. Returns how many were removed."""
    with dep.db.read() as conn:
        folders = {job_folder(job) for job in conn.execute(select(Job.output_uri, Job.name))}
    removed = 0
    for folder in sorted(folders):
        try:
            removed += dep.storage.remove_temporaries(folder, older_than)
        except TruthsetError:
            continue  # a folder that cannot be reached now is tried again next time
    return removed


def file_stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d_%H:%M:%S")


def iso_z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def output_line(line_text: str, label_json: str | None) -> str:
    """The input line with the label attribute and its metadata set (or replaced)."""
    if label_json is None:
        return line_text
    line = json.loads(line_text)
    line.update(json.loads(label_json))
    return json.dumps(line, ensure_ascii=False)


# Prebuilt, so SQLite runs it on the driver's cursor: a million-line manifest spent most of its
# time building SQLAlchemy rows, on the core the server's requests also need.
_MANIFEST_ROWS = (
    select(DataObject.object_id, DataObject.line, DataObject.label)
    .where(
        DataObject.job_id == bindparam("b_job"),
        DataObject.object_id > bindparam("b_after"),
        DataObject.state != REFUSED,
    )
    .order_by(DataObject.object_id)
    .limit(_CHUNK)
)


def write_manifest(dep: Deployment, job: Any) -> None:
    """manifests/output/output.manifest: one line per input line, labels merged in (refused
    queue messages are no input lines: they are in failures.jsonl only)."""
    uri = join(job_folder(job), "manifests/output/output.manifest")
    last = -1
    with dep.storage.open_write(uri) as handle:
        while True:
            with dep.db.read() as conn:
                rows = run(conn, _MANIFEST_ROWS, {"b_job": job.id, "b_after": last}).all()
            if not rows:
                break
            handle.write(
                "".join(output_line(line, label) + "\n" for _id, line, label in rows).encode()
            )
            last = rows[-1][0]


def _data_object(line: dict[str, Any]) -> dict[str, str]:
    if "source-ref" in line:
        return {"s3Uri": line["source-ref"]}
    return {"content": line.get("source", "")}


def worker_answer(dep: Deployment, answer: WorkerAnswer, model: bool = False) -> dict[str, Any]:
    """One worker's answer as Ground Truth's worker-response files and A2I's output.json
    (`humanAnswers`) give it; a model worker's says so in its identity data."""
    return {
        "answerContent": answer.content,
        "submissionTime": iso_z(answer.submitted_at),
        "acceptanceTime": iso_z(answer.accepted_at),
        "timeSpentInSeconds": round((answer.submitted_at - answer.accepted_at).total_seconds(), 3),
        "workerId": answer.worker_id,
        "workerMetadata": {
            "identityData": {
                "identityProviderType": "truthset-model" if model else "truthset",
                "issuer": dep.settings.base_url,
                "sub": answer.worker_id,
            }
        },
    }


def write_worker_responses(
    dep: Deployment,
    job: Any,
    objects: list[ObjectAnswers],
    now: datetime,
    models: frozenset[str] = frozenset(),
) -> None:
    """annotations/worker-response/iteration-1/<object id>/<timestamp>.json per object. A model
    worker's answer (worker id in `models`) says so in its identity data.

    The timestamp is the object's last answer's, not the pass's: a consolidation repeated
    because a runner was killed between writing these files and committing the labels writes
    the same file again instead of a second one (answers added later, as after a send-back,
    make a new file)."""
    folder = join(job_folder(job), "annotations/worker-response", ITERATION)
    for obj in objects:
        answers = [worker_answer(dep, answer, answer.worker_id in models) for answer in obj.answers]
        last = max((answer.submitted_at for answer in obj.answers), default=now)
        uri = join(folder, str(obj.object_id), f"{file_stamp(last)}.json")
        dep.storage.write_bytes(uri, json.dumps({"answers": answers}).encode())


def write_consolidation_batch(
    dep: Deployment,
    job: Any,
    objects: list[ObjectAnswers],
    labels: list[ObjectLabel],
    now: datetime,
) -> None:
    """The request a consolidation Lambda would have been given, and its response."""
    name, _uri, _data = write_consolidation_request(dep, job, objects, now)
    write_consolidation_response(dep, job, name, labels)


def write_consolidation_request(
    dep: Deployment, job: Any, objects: list[ObjectAnswers], now: datetime
) -> tuple[str, str, bytes]:
    """annotations/consolidated-annotation/consolidation-request/iteration-1/<stamp>.json: the
    payload a post-annotation hook reads. Returns the file's name, URI and contents."""
    base = join(job_folder(job), "annotations/consolidated-annotation")
    request = [
        {
            "datasetObjectId": str(obj.object_id),
            "dataObject": _data_object(obj.line),
            "annotations": [
                {"workerId": a.worker_id, "annotationData": {"content": json.dumps(a.content)}}
                for a in obj.answers
            ],
        }
        for obj in objects
    ]
    name = _free_name(dep, join(base, "consolidation-response", ITERATION), now)
    uri = join(base, "consolidation-request", ITERATION, name)
    data = json.dumps(request).encode()
    dep.storage.write_bytes(uri, data)
    return name, uri, data


def write_consolidation_response(
    dep: Deployment, job: Any, name: str, labels: list[ObjectLabel]
) -> None:
    response = [
        {
            "datasetObjectId": str(label.object_id),
            "consolidatedAnnotation": {"content": label.content},
        }
        for label in labels
    ]
    base = join(job_folder(job), "annotations/consolidated-annotation")
    dep.storage.write_bytes(
        join(base, "consolidation-response", ITERATION, name), json.dumps(response).encode()
    )


def write_failures(dep: Deployment, job: Any) -> None:
    """manifests/output/failures.jsonl: every failed object (and refused queue message) with
    its reason, step, attempts and time, one line each (`{"datasetObjectId", "failureReason",
    "failedStep", "attempts", "failedAt", "dataObject"}`), so a script can see why."""
    uri = join(job_folder(job), "manifests/output/failures.jsonl")
    lines = [
        json.dumps(failed.as_file_line(), ensure_ascii=False) + "\n"
        for failed in failed_objects(dep, job.id, limit=None)
    ]
    dep.storage.write_bytes(uri, "".join(lines).encode())


def _free_name(dep: Deployment, folder: str, now: datetime) -> str:
    # Two batches in one second must not overwrite each other.
    name = f"{file_stamp(now)}.json"
    suffix = 1
    while dep.storage.exists(join(folder, name)):
        name = f"{file_stamp(now)}-{suffix}.json"
        suffix += 1
    return name


def results_page(
    dep: Deployment, job_id: int, after: int, limit: int
) -> list[tuple[int, str, bool, int, dict[str, Any]]]:
    """(object id, state, machine-labeled, answers, output line) of up to `limit` objects
    after object id `after`, in id order: the pages a client walks to read every result."""
    with dep.db.read() as conn:
        rows = conn.execute(
            select(
                DataObject.object_id,
                DataObject.state,
                DataObject.machine_labeled,
                DataObject.answers,
                DataObject.line,
                DataObject.label,
            )
            .where(DataObject.job_id == job_id, DataObject.object_id > after)
            .order_by(DataObject.object_id)
            .limit(limit)
        ).all()
    return [
        (
            r.object_id,
            r.state,
            bool(r.machine_labeled),
            r.answers,
            json.loads(output_line(r.line, r.label)),
        )
        for r in rows
    ]
