"""What the image annotation task types share: reading a tool's answer, the image size, the
task input and the label metadata.

The image size of an object is taken from the workers' answers (`inputImageProperties`, the
browser's `naturalWidth` x `naturalHeight`, which honour EXIF orientation), not from the file:
answers are checked inside the transaction that stores them, where reading media from storage
would hold up every other writer. Consolidation uses the size most workers reported and leaves
out answers made on another size (docs/task-types.md).
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime
from typing import Any

from truthset.errors import Invalid
from truthset.tasktypes.base import (
    ConsolidationContext,
    JobSpec,
    ObjectAnswers,
    ObjectLabel,
    Signer,
    WorkerAnswer,
    basic_task_input,
    creation_date,
    load_template,
    round_confidence,
)

# JPEG and WebP cannot be larger; PNG could, but no browser decodes such an image.
MAX_SIDE = 65_535
MAX_SHAPES = 10_000
# Ground Truth writes the colour depth of the image; browsers decode every image to RGB.
DEPTH = 3

Size = tuple[int, int]


def element_output(answer: Any, example: str) -> tuple[str, dict[str, Any]]:
    """(name, output) of the one element in an answer of the shape {"<name>": {...}}."""
    if not isinstance(answer, dict) or len(answer) != 1:
        raise Invalid(f"answer must be an object with one key, e.g. {example}")
    ((name, value),) = answer.items()
    if not isinstance(value, dict):
        raise Invalid(f"answer.{name} must be an object")
    return name, value


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def read_size(name: str, value: dict[str, Any]) -> Size:
    """The (width, height) in an answer's `inputImageProperties`, checked."""
    properties = value.get("inputImageProperties")
    where = f"answer.{name}.inputImageProperties"
    if not isinstance(properties, dict):
        raise Invalid(f"{where} must be an object with the image's width and height")
    width, height = properties.get("width"), properties.get("height")
    for key, side in (("width", width), ("height", height)):
        if not isinstance(side, int) or isinstance(side, bool) or not 1 <= side <= MAX_SIDE:
            raise Invalid(f"{where}.{key} must be a whole number of pixels from 1 to {MAX_SIDE}")
    return int(width), int(height)  # type: ignore[arg-type]


def read_list(name: str, value: dict[str, Any], key: str) -> list[Any]:
    items = value.get(key)
    if not isinstance(items, list):
        raise Invalid(f"answer.{name}.{key} must be a list")
    if len(items) > MAX_SHAPES:
        raise Invalid(f"answer.{name}.{key}: at most {MAX_SHAPES} entries")
    return items


def read_label(job: JobSpec, where: str, item: dict[str, Any]) -> str:
    label = item.get("label")
    if not isinstance(label, str) or label not in job.labels:
        raise Invalid(f"{where}.label {label!r} is not one of the job's labels")
    return label


def read_modified(name: str, value: dict[str, Any], required: bool) -> bool | None:
    """`initialValueModified`: required in adjustment answers, where it decides the status."""
    modified = value.get("initialValueModified")
    if modified is None and not required:
        return None
    if not isinstance(modified, bool):
        raise Invalid(
            f"answer.{name}.initialValueModified must be true or false "
            "(the tool sets it when it starts from an initial value)"
        )
    return modified


def consensus_size(sizes: list[Size]) -> Size:
    """The size most answers report; on a tie, the one reported first."""
    counts = Counter(sizes)
    best = max(counts.values())
    return next(size for size in sizes if counts[size] == best)


def image_size_entry(size: Size) -> list[dict[str, int]]:
    return [{"width": size[0], "height": size[1], "depth": DEPTH}]


def adjustment_status(answers: list[WorkerAnswer]) -> str:
    """`adjusted` when any worker changed the initial value (reference 4.5)."""
    modified = any(_element_value(a.content).get("initialValueModified") is True for a in answers)
    return "adjusted" if modified else "unadjusted"


def _element_value(content: dict[str, Any]) -> dict[str, Any]:
    value: Any = next(iter(content.values())) if len(content) == 1 else None
    return value if isinstance(value, dict) else {}


def image_task_input(job: JobSpec, line: dict[str, Any], sign: Signer) -> dict[str, Any]:
    return basic_task_input(job, sign(line["source-ref"]))


def label_metadata(job: JobSpec, gt_type: str, now: datetime, **fields: Any) -> dict[str, Any]:
    return {
        **fields,
        "type": gt_type,
        "job-name": f"labeling-job/{job.name}",
        "human-annotated": "yes",
        "creation-date": creation_date(now),
    }


def class_map(job: JobSpec, class_ids: list[int]) -> dict[str, str]:
    """Ground Truth's `class-map`: the classes the label uses, by index in the job's labels."""
    return {str(k): job.labels[k] for k in sorted(set(class_ids))}


def shapes_label(
    job: JobSpec,
    gt_type: str,
    now: datetime,
    size: Size,
    shapes: list[tuple[dict[str, Any], float]],
    workers: int,
) -> dict[str, Any]:
    """The label of an image annotated with shapes (boxes, keypoints, polygons): one
    (annotation with its `class_id`, confidence) per shape, from `workers` counted answers."""
    meta = label_metadata(
        job,
        gt_type,
        now,
        objects=[{"confidence": round_confidence(c, workers)} for _, c in shapes],
        **{"class-map": class_map(job, [a["class_id"] for a, _ in shapes])},
    )
    attr = job.label_attribute_name
    value = {"image_size": image_size_entry(size), "annotations": [a for a, _ in shapes]}
    return {attr: value, f"{attr}-metadata": meta}


class ImageTask:
    """What the image annotation task types (boxes, masks, keypoints, polygons) share: the image
    as task input, no answer code (no worker-skill model), and each object labeled from its own
    answers by the task type's `label_content`."""

    template_file: str

    def template(self) -> str:
        return load_template(self.template_file)

    def task_input(self, job: JobSpec, line: dict[str, Any], sign: Signer) -> dict[str, Any]:
        return image_task_input(job, line, sign)

    def answer_code(self, job: JobSpec, answer: dict[str, Any]) -> str | None:
        return None

    def consolidate(
        self, job: JobSpec, objects: list[ObjectAnswers], context: ConsolidationContext
    ) -> list[ObjectLabel]:
        return [
            ObjectLabel(obj.object_id, self.label_content(job, obj, context)) for obj in objects
        ]

    def label_content(
        self, job: JobSpec, obj: ObjectAnswers, context: ConsolidationContext
    ) -> dict[str, Any]:
        raise NotImplementedError
