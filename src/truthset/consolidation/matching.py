"""Grouping of annotations from several workers into clusters that each describe one thing.

Boxes, spans, keypoints and polygons all need the same step: given every worker's annotations of
one data object and a pairwise overlap score (IoU, Jaccard, closeness), find groups that hold at
most one annotation per worker. The method is average-linkage agglomerative clustering with
cannot-link constraints:

- two annotations of the same worker never share a cluster (a worker who draws two overlapping
  boxes meant two objects);
- two annotations whose overlap is 0 (disjoint ranges or boxes, points farther apart than the
  radius) never share a cluster, so disjoint answers are never merged and, for intervals and
  axis-aligned boxes, every cluster has a common intersection;
- clusters are merged best pair first while the mean overlap between them is at least the
  threshold; among near-equal pairs the one whose labels agree more wins (``LABEL_WEIGHT``).

Hungarian matching is optimal for two workers only; matching N workers jointly is an
N-dimensional assignment problem, and the usual shortcut (match worker 2 to worker 1, then worker
3 to the result, ...) depends on the order of the workers. Agglomeration needs no order. Callers
pass annotations in a canonical order (see ``canonical_worker_order``) so that ties resolve the
same way however the workers are listed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

# A same-label pair is preferred over a different-label pair whose overlap is at most this much
# higher. Small enough that geometry decides, large enough to settle coinciding annotations.
LABEL_WEIGHT = 0.05

T = TypeVar("T")

Cluster = NDArray[np.intp]


def canonical_worker_order(
    answers: Sequence[Sequence[T]], key: Callable[[T], tuple[object, ...]]
) -> list[list[T]]:
    """Sort each worker's annotations by ``key`` and the workers by their sorted annotations.

    Workers with equal answers are interchangeable, so everything computed from the result is the
    same for every permutation of ``answers``.
    """
    sorted_answers = [sorted(answer, key=key) for answer in answers]
    return sorted(sorted_answers, key=lambda answer: [key(item) for item in answer])


def cluster_annotations(
    workers: NDArray[np.intp],
    labels: NDArray[np.intp],
    overlap: NDArray[np.float64],
    threshold: float,
) -> list[Cluster]:
    """Group annotations into clusters holding at most one annotation per worker.

    ``workers[i]`` and ``labels[i]`` are the worker and label codes of annotation ``i``;
    ``overlap`` is a symmetric matrix of scores in [0, 1] (the diagonal is ignored). Clusters come
    back as sorted index arrays, ordered by their first index.

    >>> overlap = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> workers, labels = np.array([0, 1, 1]), np.zeros(3, np.intp)
    >>> [c.tolist() for c in cluster_annotations(workers, labels, overlap, 0.5)]
    [[0, 1], [2]]
    """
    count = len(workers)
    if count == 0:
        return []
    same_worker = workers[:, None] == workers[None, :]
    linkable = (overlap >= threshold) & (overlap > 0) & ~same_worker
    component_of = _components(linkable)
    by_component = np.argsort(component_of, kind="stable")
    starts = np.flatnonzero(np.diff(component_of[by_component])) + 1
    clusters: list[Cluster] = []
    for members in np.split(by_component, starts):
        if len(members) == 1:
            clusters.append(members)
            continue
        sub_linkable = linkable[members][:, members]
        if int(sub_linkable.sum()) == len(members) * (len(members) - 1):
            # Every merge inside a clique is allowed and stays above the threshold, so
            # agglomeration would end with the whole component; skip it.
            clusters.append(members)
            continue
        sub_overlap = overlap[members][:, members]
        sub_same = same_worker[members][:, members]
        for local in _agglomerate(sub_same, labels[members], sub_overlap, threshold):
            clusters.append(members[local])
    clusters.sort(key=lambda cluster: int(cluster[0]))
    return clusters


def _components(linkable: NDArray[np.bool_]) -> NDArray[np.intp]:
    # Min-label propagation: each item ends with the smallest index of its connected component.
    # Images hold tens of annotations, where this beats building a scipy sparse graph.
    component_of = np.arange(len(linkable))
    sentinel = len(linkable)
    while True:
        neighbours = np.where(linkable, component_of[None, :], sentinel).min(axis=1)
        updated = np.minimum(component_of, neighbours)
        if np.array_equal(updated, component_of):
            return component_of
        component_of = updated


def _agglomerate(
    same_worker: NDArray[np.bool_],
    labels: NDArray[np.intp],
    overlap: NDArray[np.float64],
    threshold: float,
) -> list[Cluster]:
    size = len(labels)
    # Cluster-level sums: merging clusters i and j adds row/column j into i.
    overlap_sum = overlap.astype(np.float64).copy()
    np.fill_diagonal(overlap_sum, 0.0)
    agree_sum = (labels[:, None] == labels[None, :]).astype(np.float64)
    cannot = same_worker | (overlap <= 0)
    np.fill_diagonal(cannot, True)
    sizes = np.ones(size, dtype=np.float64)
    members: list[list[int]] = [[i] for i in range(size)]
    active = np.ones(size, dtype=bool)
    while True:
        pair_count = np.outer(sizes, sizes)
        mean_overlap = overlap_sum / pair_count
        allowed = ~cannot & (mean_overlap >= threshold) & active[:, None] & active[None, :]
        if not allowed.any():
            break
        score = np.where(allowed, mean_overlap + LABEL_WEIGHT * agree_sum / pair_count, -np.inf)
        first, second = divmod(int(np.argmax(score)), size)
        keep, gone = min(first, second), max(first, second)
        for matrix in (overlap_sum, agree_sum):
            matrix[keep, :] += matrix[gone, :]
            matrix[:, keep] += matrix[:, gone]
        cannot[keep, :] |= cannot[gone, :]
        cannot[:, keep] |= cannot[:, gone]
        cannot[keep, keep] = True
        sizes[keep] += sizes[gone]
        members[keep].extend(members[gone])
        active[gone] = False
    return [np.array(sorted(members[i]), dtype=np.intp) for i in np.flatnonzero(active)]


def majority_label(votes: Sequence[int], rng: np.random.Generator) -> tuple[int, int]:
    """Return the most frequent label and its vote count; ties are broken by ``rng``."""
    counts = Counter(votes)
    top = max(counts.values())
    tied = sorted(label for label, count in counts.items() if count == top)
    label = tied[0] if len(tied) == 1 else tied[int(rng.integers(len(tied)))]
    return int(label), top


def keep_cluster(support: int, n_workers: int, min_share: float) -> bool:
    """Whether enough workers drew a cluster for it to become part of the label."""
    # The tolerance keeps e.g. 2 of 4 workers at min_share 0.5 from being lost to rounding.
    return support >= min_share * n_workers - 1e-9
