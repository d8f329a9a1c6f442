"""Label verification of bounding boxes and semantic segmentation (reference 4.6, 9.4).

Workers see the earlier label drawn over the image (`crowd-image-classifier` with `overlay`),
choose one of the job's verification categories (its labels, e.g. good / bad) and may comment.
Consolidation is the classification EM over the categories, joint over the whole job; comments
become `worker-feedback`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from truthset.tasktypes import audit
from truthset.tasktypes.base import (
    ConsolidationContext,
    JobSpec,
    ObjectAnswers,
    ObjectLabel,
    Signer,
)
from truthset.tasktypes.classification import SingleLabel
from truthset.tasktypes.images import image_task_input


def worker_feedback(obj: ObjectAnswers) -> list[dict[str, str]]:
    """The non-blank comments of an object's answers, in the order they came."""
    comments = []
    for answer in obj.answers:
        value = next(iter(answer.content.values()), None) if len(answer.content) == 1 else None
        comment = value.get("workerComment") if isinstance(value, dict) else None
        if isinstance(comment, str) and comment.strip():
            comments.append({"comment": comment.strip()})
    return comments


@dataclass(frozen=True)
class Verification(SingleLabel):
    """A verdict on an earlier label: boxes (`mask=False`) or a mask (`mask=True`)."""

    mask: bool = False

    def check_job(self, job: JobSpec) -> None:
        audit.check_audit_job(job, self.name, mask=self.mask)

    def check_line(self, job: JobSpec, line: dict[str, Any]) -> None:
        if self.mask:
            audit.earlier_mask(job, line)
        else:
            audit.earlier_boxes(job, line)

    def task_input(self, job: JobSpec, line: dict[str, Any], sign: Signer) -> dict[str, Any]:
        shown = image_task_input(job, line, sign)
        if self.mask:
            earlier = audit.earlier_mask(job, line)
            overlay: dict[str, Any] = {
                "semanticSegmentation": {
                    "labels": earlier.labels,
                    "labelMappings": earlier.label_mappings,
                    "src": sign(earlier.uri),
                }
            }
        else:
            boxes = audit.earlier_boxes(job, line)
            overlay = {"boundingBox": {"labels": boxes.labels, "value": boxes.boxes}}
        return shown | {"overlay": overlay}

    def consolidate(
        self, job: JobSpec, objects: list[ObjectAnswers], context: ConsolidationContext
    ) -> list[ObjectLabel]:
        """EM runs over the whole job, but only this batch's labels are returned: the comments
        of earlier objects are not at hand, and their labels keep their feedback."""
        batch = {obj.object_id: obj for obj in objects}
        labels = []
        for label in super().consolidate(job, objects, context):
            obj = batch.get(label.object_id)
            if obj is None:
                continue
            feedback = worker_feedback(obj)
            if feedback:
                meta = label.content[f"{job.label_attribute_name}-metadata"]
                meta["worker-feedback"] = feedback
            labels.append(label)
        return labels


BOUNDING_BOX_VERIFICATION = Verification(
    "bounding-box-verification",
    "groundtruth/label-verification",
    "source-ref",
    "VerificationBoundingBox",
    "label-verification.liquid",
)
SEMANTIC_SEGMENTATION_VERIFICATION = Verification(
    "semantic-segmentation-verification",
    "groundtruth/label-verification",
    "source-ref",
    "VerificationSemanticSegmentation",
    "label-verification.liquid",
    mask=True,
)
