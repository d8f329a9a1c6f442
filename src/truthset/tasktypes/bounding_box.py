"""Bounding boxes (reference 4.5) and their adjustment: `crowd-bounding-box`.

Consolidation is per object (`consolidation.boxes`): boxes of different workers matched by IoU,
edges by median, label by majority, one confidence per box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from truthset.consolidation.boxes import consolidate_boxes
from truthset.errors import Invalid
from truthset.tasktypes import audit
from truthset.tasktypes.base import (
    ConsolidationContext,
    JobSpec,
    ObjectAnswers,
    Signer,
)
from truthset.tasktypes.images import (
    ImageTask,
    Size,
    adjustment_status,
    consensus_size,
    element_output,
    image_task_input,
    is_number,
    read_label,
    read_list,
    read_modified,
    read_size,
    shapes_label,
)

EXAMPLE = '{"boundingBox": {"boundingBoxes": [...], "inputImageProperties": {...}}}'
BoxRow = tuple[int, float, float, float, float]  # class_id, left, top, width, height


@dataclass(frozen=True)
class BoxAnswer:
    size: Size
    rows: list[BoxRow]


def read_boxes(job: JobSpec, answer: Any, adjustment: bool = False) -> BoxAnswer:
    """A worker's boxes, checked: inside the image, positive size, known labels; raises
    Invalid naming the bad field."""
    name, value = element_output(answer, EXAMPLE)
    width, height = read_size(name, value)
    read_modified(name, value, required=adjustment)
    rows: list[BoxRow] = []
    for index, box in enumerate(read_list(name, value, "boundingBoxes")):
        where = f"answer.{name}.boundingBoxes[{index}]"
        if not isinstance(box, dict):
            raise Invalid(f"{where} must be an object")
        label = read_label(job, where, box)
        coords = [box.get(key) for key in ("left", "top", "width", "height")]
        if not all(is_number(v) for v in coords):
            raise Invalid(f"{where}: left, top, width and height must be numbers")
        left, top, w, h = cast(list[float], coords)
        if w <= 0 or h <= 0:
            raise Invalid(f"{where}: width and height must be positive, got {w} x {h}")
        if left < 0 or top < 0 or left + w > width or top + h > height:
            raise Invalid(
                f"{where}: the box ({left}, {top}, {w} x {h}) is not inside the "
                f"{width} x {height} image"
            )
        rows.append((job.labels.index(label), left, top, w, h))
    return BoxAnswer((width, height), rows)


@dataclass(frozen=True)
class BoundingBox(ImageTask):
    name: str = "bounding-box"
    gt_type: str = "groundtruth/object-detection"
    input_key: str = "source-ref"
    lambda_suffix: str = "BoundingBox"
    template_file: str = "bounding-box.liquid"
    min_labels: int = 1
    needs_ref: bool = False
    default_workers: int = 5
    default_time_limit: int = 3600
    joint: bool = False
    adjustment: bool = False

    def check_job(self, job: JobSpec) -> None:
        if self.adjustment:
            audit.check_audit_job(job, self.name, mask=False)

    def check_line(self, job: JobSpec, line: dict[str, Any]) -> None:
        if self.adjustment:
            audit.check_labels_kept(job, audit.earlier_boxes(job, line).labels)

    def task_input(self, job: JobSpec, line: dict[str, Any], sign: Signer) -> dict[str, Any]:
        shown = image_task_input(job, line, sign)
        if self.adjustment:
            shown["initialValue"] = audit.earlier_boxes(job, line).boxes
        return shown

    def validate_answer(self, job: JobSpec, answer: dict[str, Any]) -> dict[str, Any]:
        read_boxes(job, answer, self.adjustment)
        return answer

    def label_content(
        self, job: JobSpec, obj: ObjectAnswers, context: ConsolidationContext
    ) -> dict[str, Any]:
        answers = [read_boxes(job, a.content) for a in obj.answers]
        size = consensus_size([a.size for a in answers])
        # An answer made on another image size cannot be compared box by box.
        counted = [a.rows for a in answers if a.size == size]
        boxes = consolidate_boxes(counted, *size, seed=context.seed)
        shapes = [
            (
                {
                    "class_id": b.class_id,
                    "left": b.left,
                    "top": b.top,
                    "width": b.width,
                    "height": b.height,
                },
                b.confidence,
            )
            for b in boxes
        ]
        label = shapes_label(job, self.gt_type, context.now, size, shapes, len(counted))
        if self.adjustment:
            label[f"{job.label_attribute_name}-metadata"]["adjustment-status"] = adjustment_status(
                obj.answers
            )
        return label


BOUNDING_BOX = BoundingBox()
BOUNDING_BOX_ADJUSTMENT = BoundingBox(
    name="bounding-box-adjustment",
    lambda_suffix="AdjustmentBoundingBox",
    template_file="bounding-box-adjustment.liquid",
    adjustment=True,
)
