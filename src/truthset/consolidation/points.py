"""Consolidation of keypoints (``crowd-keypoint``) placed by several workers on one image.

Method (``docs/spatial-consolidation.md`` has the reasoning):

1. Points are matched per label: a "left eye" never pairs with a "nose". The radius is
   ``radius_share`` (default 0.03) of the image diagonal, about 38 px on a 1000x800 image.
   Closeness of two points at distance d is ``max(0, 1 - d / radius)``; points are clustered with
   ``matching.cluster_annotations`` so a cluster holds at most one point per worker and every two
   of its points are less than one radius apart, closest pairs first.
2. A cluster becomes a keypoint when at least ``min_share`` of the workers placed it (default 0.5).
3. Position: the per-axis median of the cluster's points (the mean for two points).
4. ``confidence = (workers who placed it / all workers) * mean closeness of the cluster's points
   to the consolidated point``; 1 when all workers placed identical points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from truthset.consolidation.matching import (
    canonical_worker_order,
    cluster_annotations,
    keep_cluster,
)

RADIUS_SHARE = 0.03
MIN_SHARE = 0.5

PointAnswer = Sequence[tuple[str, float, float]]


@dataclass(frozen=True)
class ConsolidatedPoint:
    """One output keypoint in image pixels."""

    label: str
    x: float
    y: float
    confidence: float
    support: int
    """Number of workers whose point is in this keypoint's cluster."""


def consolidate_points(
    answers: Sequence[PointAnswer],
    image_width: int,
    image_height: int,
    *,
    radius_share: float = RADIUS_SHARE,
    min_share: float = MIN_SHARE,
) -> list[ConsolidatedPoint]:
    """Consolidate per-worker lists of ``(label, x, y)`` into keypoints sorted by (label, y, x).

    >>> [point] = consolidate_points([[("nose", 10, 10)], [("nose", 12, 10)]], 1000, 800)
    >>> point.label, point.x, point.y, round(point.confidence, 3), point.support
    ('nose', 11.0, 10.0, 0.974, 2)
    """
    if image_width <= 0 or image_height <= 0:
        raise ValueError(f"image size must be positive, got {image_width}x{image_height}")
    radius = radius_share * math.hypot(image_width, image_height)
    checked = [_checked_points(answer, worker) for worker, answer in enumerate(answers)]
    points = canonical_worker_order(checked, key=lambda point: point)
    n_workers = len(points)
    result: list[ConsolidatedPoint] = []
    for label in sorted({label for answer in points for label, _, _ in answer}):
        workers = np.array(
            [w for w, answer in enumerate(points) for p in answer if p[0] == label], dtype=np.intp
        )
        xy = np.array(
            [p[1:] for answer in points for p in answer if p[0] == label], dtype=np.float64
        )
        closeness = pairwise_closeness(xy, radius)
        for cluster in cluster_annotations(workers, np.zeros(len(xy), np.intp), closeness, 0.0):
            if keep_cluster(len(cluster), n_workers, min_share):
                result.append(_make_point(label, xy[cluster], radius, n_workers))
    return sorted(result, key=lambda p: (p.label, p.y, p.x))


def pairwise_closeness(xy: NDArray[np.float64], radius: float) -> NDArray[np.float64]:
    """``max(0, 1 - distance / radius)`` for every pair of points."""
    distance = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    closeness: NDArray[np.float64] = np.clip(1.0 - distance / radius, 0.0, None)
    return closeness


def _make_point(
    label: str, members: NDArray[np.float64], radius: float, n_workers: int
) -> ConsolidatedPoint:
    x, y = np.median(members, axis=0).tolist()
    closeness = pairwise_closeness(np.vstack([[x, y], members]), radius)[0, 1:]
    return ConsolidatedPoint(
        label, x, y, len(members) / n_workers * float(closeness.mean()), len(members)
    )


def _checked_points(answer: PointAnswer, worker: int) -> list[tuple[str, float, float]]:
    checked = []
    for index, point in enumerate(answer):
        label, x, y = point
        if not isinstance(label, str) or not label:
            raise ValueError(f"worker {worker}, keypoint {index}: label must be a non-empty string")
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"worker {worker}, keypoint {index}: x and y must be finite numbers")
        checked.append((label, float(x), float(y)))
    return checked
