"""Consolidation of bounding boxes drawn by several workers on one image.

Method (``docs/spatial-consolidation.md`` has the reasoning and measured figures):

1. Boxes of all workers are clustered by IoU regardless of label (``matching.cluster_annotations``):
   at most one box per worker per cluster, boxes that do not overlap are never merged, clusters
   merge while their mean pairwise IoU is at least ``iou_threshold``. The default 0.4 sits below
   the usual 0.5 because two sloppy boxes around one object often overlap less than 0.5 with each
   other (the one-box-per-worker rule, not the threshold, keeps neighbouring objects apart; see the
   benchmark). Matching across labels lets a worker who picked the wrong class still count for
   the object; the label is then the majority within the cluster (ties: seeded random choice).
2. A cluster becomes an output box when at least ``min_share`` of the workers drew it (default
   0.5; with 5 workers 3 must agree, with 2 workers 1 suffices).
3. Each edge (left, top, right, bottom) is the median of the cluster's edges, which ignores one
   sloppy worker out of three; rounded to integer pixels and clipped to the image.
4. ``confidence = (workers who drew the box with the chosen label / all workers)
   * mean IoU of the cluster's boxes with the (unrounded) consolidated box``. It is 1 when all
   workers drew identical boxes. Ground Truth's 0 for a single worker is applied by the job layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from truthset.consolidation.matching import (
    canonical_worker_order,
    cluster_annotations,
    keep_cluster,
    majority_label,
)

IOU_THRESHOLD = 0.4
MIN_SHARE = 0.5


@dataclass(frozen=True)
class ConsolidatedBox:
    """One output box in integer pixels, as in Ground Truth's ``annotations`` list."""

    class_id: int
    left: int
    top: int
    width: int
    height: int
    confidence: float
    support: int
    """Number of workers whose box is in this box's cluster."""


def consolidate_boxes(
    answers: Sequence[ArrayLike],
    image_width: int,
    image_height: int,
    *,
    iou_threshold: float = IOU_THRESHOLD,
    min_share: float = MIN_SHARE,
    seed: int = 0,
) -> list[ConsolidatedBox]:
    """Consolidate the boxes of several workers into one list of boxes.

    ``answers`` holds one array-like per worker of rows ``(class_id, left, top, width, height)``;
    a worker who drew nothing contributes an empty list and still counts as a worker. The result
    is sorted by ``(top, left, width, height, class_id)``.

    >>> worker = [(0, 10, 10, 20, 20)]
    >>> consolidate_boxes([worker, worker], 100, 100)
    [ConsolidatedBox(class_id=0, left=10, top=10, width=20, height=20, confidence=1.0, support=2)]
    """
    if image_width <= 0 or image_height <= 0:
        raise ValueError(f"image size must be positive, got {image_width}x{image_height}")
    rows = canonical_worker_order(_box_rows(answers), key=tuple)
    n_workers = len(rows)
    workers = np.array([w for w, answer in enumerate(rows) for _ in answer], dtype=np.intp)
    if len(workers) == 0:
        return []
    labels, edges = _labels_and_edges(rows)
    clusters = cluster_annotations(workers, labels, pairwise_iou(edges), iou_threshold)
    kept = [c for c in clusters if keep_cluster(len(c), n_workers, min_share)]
    if not kept:
        return []
    merged, mean_iou = _merge_clusters(edges, kept)
    # Clusters come in canonical order, so label ties draw from rng the same way for every
    # order of the workers.
    rng = np.random.default_rng(seed)
    votes = [majority_label(labels[cluster].tolist(), rng) for cluster in kept]
    left, top, right, bottom = _pixel_edges(merged, image_width, image_height)
    boxes = [
        ConsolidatedBox(
            class_id=label,
            left=left[i],
            top=top[i],
            width=right[i] - left[i],
            height=bottom[i] - top[i],
            confidence=count / n_workers * mean_iou[i],
            support=len(kept[i]),
        )
        for i, (label, count) in enumerate(votes)
    ]
    return sorted(boxes, key=lambda b: (b.top, b.left, b.width, b.height, b.class_id))


def _labels_and_edges(
    rows: list[list[tuple[float, ...]]],
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Every worker's boxes in one table: class ids, and edges ``(left, top, right, bottom)``."""
    table = np.array([row for answer in rows for row in answer], dtype=np.float64)
    edges = np.column_stack(
        [table[:, 1], table[:, 2], table[:, 1] + table[:, 3], table[:, 2] + table[:, 4]]
    )
    return table[:, 0].astype(np.intp), edges


def pairwise_iou(edges: NDArray[np.float64]) -> NDArray[np.float64]:
    """IoU of every pair of boxes given as rows ``(left, top, right, bottom)``."""
    left, top, right, bottom = (edges[:, i] for i in range(4))
    inter_w = np.clip(np.minimum(right[:, None], right) - np.maximum(left[:, None], left), 0, None)
    inter_h = np.clip(np.minimum(bottom[:, None], bottom) - np.maximum(top[:, None], top), 0, None)
    inter = inter_w * inter_h
    area = (right - left) * (bottom - top)
    union = area[:, None] + area - inter
    iou: NDArray[np.float64] = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return iou


def _box_rows(answers: Sequence[ArrayLike]) -> list[list[tuple[float, ...]]]:
    arrays = []
    for worker, answer in enumerate(answers):
        array = np.asarray(answer, dtype=np.float64)
        if array.size == 0:
            array = array.reshape(0, 5)
        if array.ndim != 2 or array.shape[1] != 5:
            raise ValueError(
                f"worker {worker}: boxes must be rows of (class_id, left, top, width, height), "
                f"got shape {array.shape}"
            )
        arrays.append(array)
    # One check over all workers: per-worker NumPy calls on a handful of rows cost more than
    # the consolidation itself.
    table = np.concatenate(arrays) if arrays else np.zeros((0, 5))
    with np.errstate(invalid="ignore"):
        good = (table[:, 3:] >= 0).all(axis=1) & (table[:, 0] >= 0) & (table[:, 0] % 1 == 0)
    good &= np.isfinite(table).all(axis=1)
    if not good.all():
        first_bad = int(np.argmin(good))
        ends = np.cumsum([len(a) for a in arrays])
        worker = int(np.searchsorted(ends, first_bad, side="right"))
        box = first_bad - (int(ends[worker - 1]) if worker else 0)
        raise ValueError(
            f"worker {worker}, box {box}: values must be finite, width and height "
            ">= 0 and class_id a non-negative integer"
        )
    return [[tuple(row) for row in array.tolist()] for array in arrays]


def _merge_clusters(
    edges: NDArray[np.float64], clusters: list[NDArray[np.intp]]
) -> tuple[NDArray[np.float64], list[float]]:
    """Per-edge median of every cluster, and each cluster's mean IoU with its median box."""
    # All clusters at once: members are laid out in a (cluster, slot, edge) array padded with inf,
    # which sorts last, so the median sits at the same slots as in an unpadded sort.
    sizes = np.array([len(c) for c in clusters])
    members = np.concatenate(clusters)
    cluster_of = np.repeat(np.arange(len(clusters)), sizes)
    slot = np.arange(len(members)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    padded = np.full((len(clusters), int(sizes.max()), 4), np.inf)
    padded[cluster_of, slot] = edges[members]
    padded.sort(axis=1)
    rows = np.arange(len(clusters))
    merged = (padded[rows, (sizes - 1) // 2] + padded[rows, sizes // 2]) / 2
    iou = _row_iou(edges[members], merged[cluster_of])
    mean_iou = np.bincount(cluster_of, weights=iou) / sizes
    return merged, mean_iou.tolist()


def _row_iou(first: NDArray[np.float64], second: NDArray[np.float64]) -> NDArray[np.float64]:
    low = np.maximum(first[:, :2], second[:, :2])
    high = np.minimum(first[:, 2:], second[:, 2:])
    inter = np.clip(high - low, 0, None).prod(axis=1)
    union = (first[:, 2:] - first[:, :2]).prod(axis=1) + (second[:, 2:] - second[:, :2]).prod(
        axis=1
    )
    union -= inter
    iou: NDArray[np.float64] = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return iou


def _pixel_edges(
    merged: NDArray[np.float64], image_width: int, image_height: int
) -> tuple[list[int], list[int], list[int], list[int]]:
    """Round to integer pixels and clip to the image, keeping every box at least 1x1."""
    left, top, right, bottom = np.rint(merged).astype(np.int64).T
    left = np.clip(left, 0, image_width - 1)
    top = np.clip(top, 0, image_height - 1)
    right = np.clip(np.maximum(right, left + 1), None, image_width)
    bottom = np.clip(np.maximum(bottom, top + 1), None, image_height)
    return left.tolist(), top.tolist(), right.tolist(), bottom.tolist()
