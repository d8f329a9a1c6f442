"""The labeled objects of a job, read from the database in chunks (memory stays flat).

Every format module reads the same records: the manifest line, the label attribute's value and
metadata, the answer count and one confidence per object that `--min-confidence` compares.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from truthset.db.tables import DataObject
from truthset.deployment import Deployment

CHUNK = 2_000


@dataclass(frozen=True)
class ExportJob:
    """What a format needs of the job."""

    id: int
    name: str
    task_type: str
    label_attribute_name: str
    labels: list[str]


@dataclass(frozen=True)
class LabeledObject:
    object_id: int
    line: dict[str, Any]
    value: Any
    metadata: dict[str, Any]
    answers: int
    machine_labeled: bool

    @property
    def source(self) -> str:
        """The image URI or the text the object stands for."""
        return str(self.line.get("source-ref", self.line.get("source", "")))

    @property
    def confidence(self) -> float | None:
        """The object's confidence: the label's, or the lowest of its boxes, points, polygons,
        entities or mask classes (an object passes `--min-confidence` only if every part
        does). None when the label has no parts (an image with nothing to find)."""
        meta = self.metadata
        if "confidence" in meta:
            return float(meta["confidence"])
        parts: list[float] = []
        if "confidence-map" in meta:
            parts = [float(v) for v in meta["confidence-map"].values()]
        elif "objects" in meta:
            parts = [float(o["confidence"]) for o in meta["objects"]]
        elif "entities" in meta:
            parts = [float(e["confidence"]) for e in meta["entities"]]
        elif "internal-color-map" in meta:
            parts = [float(c["confidence"]) for c in meta["internal-color-map"].values()]
        return min(parts) if parts else None


def labeled_objects(
    dep: Deployment, job: ExportJob, min_confidence: float | None = None
) -> Iterator[LabeledObject]:
    """The job's labeled objects in object-id order, CHUNK rows per query, so a job of any size
    is read with the memory of one chunk."""
    attr = job.label_attribute_name
    last = -1
    while True:
        with dep.db.read() as conn:
            rows = conn.execute(
                select(
                    DataObject.object_id,
                    DataObject.line,
                    DataObject.label,
                    DataObject.answers,
                    DataObject.machine_labeled,
                )
                .where(
                    DataObject.job_id == job.id,
                    DataObject.object_id > last,
                    DataObject.state == "labeled",
                )
                .order_by(DataObject.object_id)
                .limit(CHUNK)
            ).all()
        if not rows:
            return
        for object_id, line, label, answers, machine in rows:
            if label is None:
                continue
            content = json.loads(label)
            record = LabeledObject(
                object_id,
                json.loads(line),
                content.get(attr),
                content.get(f"{attr}-metadata", {}),
                answers,
                bool(machine),
            )
            if min_confidence is not None:
                confidence = record.confidence
                if confidence is not None and confidence < min_confidence:
                    continue
            yield record
        last = rows[-1].object_id
