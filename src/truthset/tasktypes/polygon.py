"""Polygons (instances): `crowd-polygon`. Ground Truth has no built-in polygon task for single
images (only a custom template), so the output line is truthset's own (docs/task-types.md):

    "<attr>": {"image_size": [{"width", "height", "depth"}],
               "annotations": [{"class_id", "vertices": [{"x", "y"}, ...]}]},
    "<attr>-metadata": {"objects": [{"confidence"}], "class-map": {...},
                        "type": "truthset/polygon", ...}

Consolidation is per object (`consolidation.polygons`): polygons matched by IoU, the shape is the
cluster's medoid (a polygon some worker drew), the label the majority, one confidence each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from truthset.consolidation.polygons import consolidate_polygons
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
from truthset.tasktypes.keypoint import pixel

EXAMPLE = '{"annotatedResult": {"polygons": [...], "inputImageProperties": {...}}}'
MAX_VERTICES = 10_000
Polygon = tuple[str, list[tuple[float, float]]]


@dataclass(frozen=True)
class PolygonAnswer:
    size: Size
    polygons: list[Polygon]


def _area(vertices: list[tuple[float, float]]) -> float:
    """The shoelace area (of the signed parts, for a self-crossing outline)."""
    pairs = zip(vertices, vertices[1:] + vertices[:1], strict=True)
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairs)) / 2


def _read_vertices(where: str, raw: Any, size: Size) -> list[tuple[float, float]]:
    if not isinstance(raw, list) or not 3 <= len(raw) <= MAX_VERTICES:
        raise Invalid(f"{where}.vertices must be a list of 3 to {MAX_VERTICES} points")
    vertices = []
    for index, vertex in enumerate(raw):
        coords = [vertex.get("x"), vertex.get("y")] if isinstance(vertex, dict) else []
        if len(coords) != 2 or not all(is_number(v) for v in coords):
            raise Invalid(f"{where}.vertices[{index}] must be an object with numbers x and y")
        x, y = cast(list[float], coords)
        if not (0 <= x <= size[0] and 0 <= y <= size[1]):
            raise Invalid(
                f"{where}.vertices[{index}]: ({x}, {y}) is not inside the "
                f"{size[0]} x {size[1]} image"
            )
        vertices.append((x, y))
    if _area(vertices) == 0:
        raise Invalid(f"{where}: the polygon encloses no area")
    return vertices


def read_polygons(job: JobSpec, answer: Any) -> PolygonAnswer:
    """A worker's polygons, checked: 3 vertices or more, inside the image, some area, known
    labels."""
    name, value = element_output(answer, EXAMPLE)
    size = read_size(name, value)
    polygons: list[Polygon] = []
    for index, polygon in enumerate(read_list(name, value, "polygons")):
        where = f"answer.{name}.polygons[{index}]"
        if not isinstance(polygon, dict):
            raise Invalid(f"{where} must be an object")
        label = read_label(job, where, polygon)
        polygons.append((label, _read_vertices(where, polygon.get("vertices"), size)))
    return PolygonAnswer(size, polygons)


@dataclass(frozen=True)
class PolygonTask(ImageTask):
    name: str = "polygon"
    gt_type: str = "truthset/polygon"
    input_key: str = "source-ref"
    # Not one of Ground Truth's built-in Lambdas: the name selects this task type in truthset's
    # SageMaker-compatible API only.
    lambda_suffix: str = "Polygon"
    template_file: str = "polygon.liquid"
    min_labels: int = 1
    needs_ref: bool = False
    default_workers: int = 3
    default_time_limit: int = 3600
    joint: bool = False

    def validate_answer(self, job: JobSpec, answer: dict[str, Any]) -> dict[str, Any]:
        read_polygons(job, answer)
        return answer

    def label_content(
        self, job: JobSpec, obj: ObjectAnswers, context: ConsolidationContext
    ) -> dict[str, Any]:
        answers = [read_polygons(job, a.content) for a in obj.answers]
        size = consensus_size([a.size for a in answers])
        counted = [a.polygons for a in answers if a.size == size]
        polygons = consolidate_polygons(counted, seed=context.seed)
        shapes = [
            (
                {
                    "class_id": job.labels.index(p.label),
                    "vertices": [{"x": pixel(x), "y": pixel(y)} for x, y in p.vertices],
                },
                p.confidence,
            )
            for p in polygons
        ]
        return shapes_label(job, self.gt_type, context.now, size, shapes, len(counted))


POLYGON = PolygonTask()
