"""CSV and JSON Lines for classification (single- and multi-label, images and texts): one row
per labeled object with its id, its `source-ref` or `source`, the label (single-label) or the
labels (multi-label), the confidence(s), the number of answers and whether humans labeled it.

In CSV a multi-label row's `labels` and `confidences` are JSON arrays (a label may itself
contain a comma or a semicolon); in JSON Lines they are arrays.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from truthset.deployment import Deployment
from truthset.exports.records import ExportJob, LabeledObject


def multilabel(job: ExportJob) -> bool:
    return "multilabel" in job.task_type


def source_key(job: ExportJob) -> str:
    return "source" if job.task_type.startswith("text") else "source-ref"


def row(job: ExportJob, record: LabeledObject) -> dict[str, Any]:
    """The export row of one object, shared by CSV, JSON Lines and Hugging Face datasets."""
    fields: dict[str, Any] = {"object_id": record.object_id, source_key(job): record.source}
    if multilabel(job):
        classes = list(record.value)
        confidence = record.metadata.get("confidence-map", {})
        fields["labels"] = [job.labels[k] for k in classes]
        fields["confidences"] = [float(confidence.get(str(k), 0.0)) for k in classes]
    else:
        fields["label"] = job.labels[record.value]
        fields["confidence"] = float(record.metadata.get("confidence", 0.0))
    fields["answers"] = record.answers
    fields["human_annotated"] = not record.machine_labeled
    return fields


def write_jsonl(
    dep: Deployment, job: ExportJob, objects: Iterator[LabeledObject], folder: Path
) -> int:
    count = 0
    with (folder / "labels.jsonl").open("w", encoding="utf-8") as out:
        for record in objects:
            out.write(json.dumps(row(job, record), ensure_ascii=False) + "\n")
            count += 1
    return count


def write_csv(
    dep: Deployment, job: ExportJob, objects: Iterator[LabeledObject], folder: Path
) -> int:
    count = 0
    with (folder / "labels.csv").open("w", encoding="utf-8", newline="") as out:
        writer: csv.DictWriter[str] | None = None
        for record in objects:
            fields = {
                key: json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value
                for key, value in row(job, record).items()
            }
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(fields))
                writer.writeheader()
            writer.writerow(fields)
            count += 1
        if writer is None:  # no labeled object: the header alone
            csv.writer(out).writerow(_header(job))
    return count


def _header(job: ExportJob) -> list[str]:
    label = ["labels", "confidences"] if multilabel(job) else ["label", "confidence"]
    return ["object_id", source_key(job), *label, "answers", "human_annotated"]
