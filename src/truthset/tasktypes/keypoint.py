"""Keypoints: `crowd-keypoint`. Ground Truth has no built-in keypoint task for single images
(only a custom template), so the output line is truthset's own (docs/task-types.md):

    "<attr>": {"image_size": [{"width", "height", "depth"}],
               "annotations": [{"class_id", "x", "y"}]},
    "<attr>-metadata": {"objects": [{"confidence"}], "class-map": {...},
                        "type": "truthset/keypoint", ...}

Consolidation is per object (`consolidation.points`): points of the same label matched within a
radius of 3% of the image diagonal, position by per-axis median, one confidence per point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from truthset.consolidation.points import consolidate_points
from truthset.errors import Invalid
from truthset.tasktypes.base import (
    ConsolidationContext,
    JobSpec,
    ObjectAnswers,
)
from truthset.tasktypes.images import (
    ImageTask,
    Size,
    consensus_size,
    element_output,
    is_number,
    read_label,
    read_list,
    read_size,
    shapes_label,
)

EXAMPLE = '{"annotatedResult": {"keypoints": [...], "inputImageProperties": {...}}}'
Point = tuple[str, float, float]


@dataclass(frozen=True)
class PointAnswer:
    size: Size
    points: list[Point]


def pixel(value: float) -> int | float:
    """A coordinate as written to the output: whole pixels stay integers, others get two
    decimals (the median of two points lies between them)."""
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


def read_points(job: JobSpec, answer: Any) -> PointAnswer:
    """A worker's keypoints, checked: inside the image, known labels."""
    name, value = element_output(answer, EXAMPLE)
    width, height = read_size(name, value)
    points: list[Point] = []
    for index, point in enumerate(read_list(name, value, "keypoints")):
        where = f"answer.{name}.keypoints[{index}]"
        if not isinstance(point, dict):
            raise Invalid(f"{where} must be an object")
        label = read_label(job, where, point)
        coords = [point.get("x"), point.get("y")]
        if not all(is_number(v) for v in coords):
            raise Invalid(f"{where}: x and y must be numbers")
        x, y = cast(list[float], coords)
        if not (0 <= x <= width and 0 <= y <= height):
            raise Invalid(f"{where}: ({x}, {y}) is not inside the {width} x {height} image")
        points.append((label, x, y))
    return PointAnswer((width, height), points)


@dataclass(frozen=True)
class Keypoint(ImageTask):
    name: str = "keypoint"
    gt_type: str = "truthset/keypoint"
    input_key: str = "source-ref"
    # Not one of Ground Truth's built-in Lambdas: the name selects this task type in truthset's
    # SageMaker-compatible API only.
    lambda_suffix: str = "Keypoint"
    template_file: str = "keypoint.liquid"
    min_labels: int = 1
    needs_ref: bool = False
    default_workers: int = 3
    default_time_limit: int = 3600
    joint: bool = False

    def validate_answer(self, job: JobSpec, answer: dict[str, Any]) -> dict[str, Any]:
        read_points(job, answer)
        return answer

    def label_content(
        self, job: JobSpec, obj: ObjectAnswers, context: ConsolidationContext
    ) -> dict[str, Any]:
        answers = [read_points(job, a.content) for a in obj.answers]
        size = consensus_size([a.size for a in answers])
        counted = [a.points for a in answers if a.size == size]
        points = sorted(
            consolidate_points(counted, *size),
            key=lambda p: (job.labels.index(p.label), p.y, p.x),
        )
        shapes = [
            (
                {"class_id": job.labels.index(p.label), "x": pixel(p.x), "y": pixel(p.y)},
                p.confidence,
            )
            for p in points
        ]
        return shapes_label(job, self.gt_type, context.now, size, shapes, len(counted))


KEYPOINT = Keypoint()
