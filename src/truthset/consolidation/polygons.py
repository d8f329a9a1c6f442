"""Consolidation of polygons (``crowd-polygon``) drawn by several workers on one image.

Method (``docs/spatial-consolidation.md`` has the reasoning):

1. Polygon IoU is computed by rasterising each overlapping pair with PIL on a ``RASTER_SIZE``
   (256) square grid stretched over the pair's union bounding box: the IoU is then within about
   1% of the exact value, and the cost per pair (about 0.1 ms) is bounded whatever the image
   size. Pairs whose bounding boxes do not meet have IoU 0.
2. Polygons are clustered by IoU regardless of label exactly like boxes
   (``matching.cluster_annotations``, default threshold 0.4); the label is the cluster majority,
   ties broken by a choice seeded with ``seed``.
3. A cluster becomes a polygon when at least ``min_share`` of the workers drew it (default 0.5).
4. Shape: the medoid, the member with the highest summed IoU with the other members (first in
   canonical order on ties). Averaging vertices is undefined when workers use different numbers
   of vertices; the medoid is always a polygon some worker actually drew.
5. ``confidence = (workers who drew it with the chosen label / all workers)
   * mean IoU of the cluster's polygons with the medoid`` (the medoid counts with IoU 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from truthset.consolidation.matching import (
    canonical_worker_order,
    cluster_annotations,
    keep_cluster,
    majority_label,
)

IOU_THRESHOLD = 0.4
MIN_SHARE = 0.5
RASTER_SIZE = 256

Vertices = tuple[tuple[float, float], ...]
PolygonAnswer = Sequence[tuple[str, Sequence[tuple[float, float]]]]


@dataclass(frozen=True)
class ConsolidatedPolygon:
    """One output polygon: the vertices of the cluster's medoid, in image pixels."""

    label: str
    vertices: Vertices
    confidence: float
    support: int
    """Number of workers whose polygon is in this polygon's cluster."""


def consolidate_polygons(
    answers: Sequence[PolygonAnswer],
    *,
    iou_threshold: float = IOU_THRESHOLD,
    min_share: float = MIN_SHARE,
    seed: int = 0,
) -> list[ConsolidatedPolygon]:
    """Consolidate per-worker lists of ``(label, [(x, y), ...])``; sorted by top, left, label.

    >>> square = ("roof", [(0, 0), (10, 0), (10, 10), (0, 10)])
    >>> [roof] = consolidate_polygons([[square], [square]])
    >>> roof.label, roof.vertices[2], roof.confidence, roof.support
    ('roof', (10.0, 10.0), 1.0, 2)
    """
    checked = [_checked_polygons(answer, worker) for worker, answer in enumerate(answers)]
    polygons = canonical_worker_order(checked, key=lambda polygon: (polygon[0], polygon[1]))
    n_workers = len(polygons)
    names = sorted({label for answer in polygons for label, _ in answer})
    workers = np.array([w for w, answer in enumerate(polygons) for _ in answer], dtype=np.intp)
    if len(workers) == 0:
        return []
    labels = np.array(
        [names.index(label) for answer in polygons for label, _ in answer], dtype=np.intp
    )
    shapes = [vertices for answer in polygons for _, vertices in answer]
    iou = pairwise_polygon_iou(shapes)
    clusters = [
        c
        for c in cluster_annotations(workers, labels, iou, iou_threshold)
        if keep_cluster(len(c), n_workers, min_share)
    ]
    rng = np.random.default_rng(seed)
    result = []
    for cluster in clusters:
        sub = iou[np.ix_(cluster, cluster)].copy()
        np.fill_diagonal(sub, 1.0)
        medoid = int(np.argmax(sub.sum(axis=1)))
        label, votes = majority_label(labels[cluster].tolist(), rng)
        confidence = votes / n_workers * float(sub[medoid].mean())
        result.append(
            ConsolidatedPolygon(names[label], shapes[cluster[medoid]], confidence, len(cluster))
        )
    return sorted(
        result,
        key=lambda p: (min(y for _, y in p.vertices), min(x for x, _ in p.vertices), p.label),
    )


def pairwise_polygon_iou(shapes: Sequence[Vertices]) -> NDArray[np.float64]:
    """Approximate IoU of every pair of polygons (see the module docstring for the accuracy)."""
    bounds = np.array(
        [[*np.min(s, axis=0), *np.max(s, axis=0)] for s in shapes], dtype=np.float64
    ).reshape(-1, 4)
    iou = np.eye(len(shapes))
    for first in range(len(shapes)):
        for second in range(first + 1, len(shapes)):
            low = np.maximum(bounds[first, :2], bounds[second, :2])
            high = np.minimum(bounds[first, 2:], bounds[second, 2:])
            if (high > low).all():
                iou[first, second] = iou[second, first] = polygon_iou(shapes[first], shapes[second])
    return iou


def polygon_iou(first: Vertices, second: Vertices) -> float:
    """IoU of two polygons, rasterised on a ``RASTER_SIZE`` square grid over their union bounds."""
    points = np.array(first + second, dtype=np.float64)
    origin = points.min(axis=0)
    extent = points.max(axis=0) - origin
    if (extent <= 0).any():
        return 0.0
    # Stretching each axis to the grid is an affine map, which leaves area ratios and so IoU
    # unchanged, and keeps thin polygons as accurate as square ones.
    scale = RASTER_SIZE / extent
    first_mask = _rasterise(first, origin, scale)
    second_mask = _rasterise(second, origin, scale)
    union = int(np.count_nonzero(first_mask | second_mask))
    return int(np.count_nonzero(first_mask & second_mask)) / union if union else 0.0


def _rasterise(
    vertices: Vertices, origin: NDArray[np.float64], scale: NDArray[np.float64]
) -> NDArray[np.bool_]:
    image = Image.new("1", (RASTER_SIZE + 1, RASTER_SIZE + 1), 0)
    scaled = [((x - origin[0]) * scale[0], (y - origin[1]) * scale[1]) for x, y in vertices]
    ImageDraw.Draw(image).polygon(scaled, fill=1)
    return np.asarray(image, dtype=bool)


def _checked_polygons(answer: PolygonAnswer, worker: int) -> list[tuple[str, Vertices]]:
    checked = []
    for index, (label, raw_vertices) in enumerate(answer):
        if not isinstance(label, str) or not label:
            raise ValueError(f"worker {worker}, polygon {index}: label must be a non-empty string")
        vertices = tuple((float(x), float(y)) for x, y in raw_vertices)
        if len(vertices) < 3:
            raise ValueError(
                f"worker {worker}, polygon {index}: a polygon needs at least 3 vertices"
            )
        if not all(math.isfinite(v) for vertex in vertices for v in vertex):
            raise ValueError(f"worker {worker}, polygon {index}: vertices must be finite numbers")
        checked.append((label, vertices))
    return checked
