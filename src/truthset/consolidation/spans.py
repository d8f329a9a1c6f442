"""Consolidation of named-entity spans marked by several workers on one text.

Method (``docs/spatial-consolidation.md`` has the reasoning and measured figures):

1. Spans of all workers are clustered by the Jaccard similarity of their character ranges
   (``matching.cluster_annotations``), regardless of label: at most one span per worker per
   cluster, spans that do not overlap are never merged, clusters merge while their mean Jaccard is
   at least ``jaccard_threshold``. The default 0.2 is low on purpose: a boundary one word off
   on a short entity ("Obama" vs "Barack Obama" is 0.42, "US" vs "the US" 0.33) must still match,
   and the one-span-per-worker rule already keeps a worker's separate entities apart; the
   benchmark gains recall down to 0.2 at unchanged precision. Label-agnostic
   clustering lets a worker who picked the wrong label still vote for the boundaries; because a
   worker's own spans never share a cluster, one range marked with two labels by the same worker
   stays two entities, and same-label pairs are preferred when overlaps are near-equal.
2. A cluster becomes an entity when at least ``min_share`` of the workers marked it (default 0.5).
3. Boundaries: start and end are each the clear mode of the cluster's values, where "clear"
   means one value is strictly more frequent than every other; otherwise the median, taken as
   the lower middle value for starts and the upper middle value for ends (an even count never
   yields an offset no worker chose, and the entity is the wider of the two central candidates).
4. Label: the most frequent label in the cluster, ties broken by a choice seeded with ``seed``.
5. ``confidence = (workers who marked it with the chosen label / all workers)
   * mean Jaccard of the cluster's spans with the consolidated range``; 1 when all agree.

Offsets are Unicode code points and ``end`` is exclusive, as in Ground Truth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from truthset.consolidation.matching import (
    canonical_worker_order,
    cluster_annotations,
    keep_cluster,
    majority_label,
)

JACCARD_THRESHOLD = 0.2
MIN_SHARE = 0.5

SpanAnswer = Sequence[tuple[str, int, int]]


@dataclass(frozen=True)
class ConsolidatedEntity:
    """One output entity: ``{"label", "startOffset", "endOffset"}`` plus its confidence."""

    label: str
    start: int
    end: int
    confidence: float
    support: int
    """Number of workers whose span is in this entity's cluster."""


def consolidate_spans(
    answers: Sequence[SpanAnswer],
    *,
    jaccard_threshold: float = JACCARD_THRESHOLD,
    min_share: float = MIN_SHARE,
    seed: int = 0,
) -> list[ConsolidatedEntity]:
    """Consolidate the entities of several workers into one list sorted by (start, end, label).

    ``answers`` holds one list per worker of ``(label, start, end)``; a worker who marked nothing
    contributes an empty list and still counts. Exact duplicates within one worker count once.

    >>> consolidate_spans([[("Thing", 0, 5)], [("Thing", 0, 5)], [("Date", 0, 5)], []])
    [ConsolidatedEntity(label='Thing', start=0, end=5, confidence=0.5, support=3)]
    """
    checked = [_checked_spans(answer, worker) for worker, answer in enumerate(answers)]
    spans = canonical_worker_order(checked, key=lambda span: (span[1], span[2], span[0]))
    n_workers = len(spans)
    names = sorted({label for answer in spans for label, _, _ in answer})
    code = {name: i for i, name in enumerate(names)}
    workers = np.array([w for w, answer in enumerate(spans) for _ in answer], dtype=np.intp)
    if len(workers) == 0:
        return []
    labels = np.array([code[label] for answer in spans for label, _, _ in answer], dtype=np.intp)
    ranges = np.array(
        [(start, end) for answer in spans for _, start, end in answer], dtype=np.int64
    )
    clusters = cluster_annotations(workers, labels, pairwise_jaccard(ranges), jaccard_threshold)
    rng = np.random.default_rng(seed)
    best: dict[tuple[int, int, str], ConsolidatedEntity] = {}
    # Clusters come in canonical order, so label ties draw from rng the same way for every
    # order of the workers.
    for cluster in clusters:
        if not keep_cluster(len(cluster), n_workers, min_share):
            continue
        label, votes = majority_label(labels[cluster].tolist(), rng)
        entity = _make_entity(names[label], votes, ranges[cluster], n_workers)
        key = (entity.start, entity.end, entity.label)
        # Two clusters can settle on the same entity; report it once, with the higher confidence.
        if key not in best or entity.confidence > best[key].confidence:
            best[key] = entity
    return [best[key] for key in sorted(best)]


def pairwise_jaccard(ranges: NDArray[np.int64]) -> NDArray[np.float64]:
    """Jaccard similarity of every pair of half-open ranges given as rows ``(start, end)``."""
    start, end = ranges[:, 0], ranges[:, 1]
    inter = np.clip(np.minimum(end[:, None], end) - np.maximum(start[:, None], start), 0, None)
    length = end - start
    union = length[:, None] + length - inter
    jaccard: NDArray[np.float64] = np.divide(
        inter, union, out=np.zeros(inter.shape), where=union > 0
    )
    return jaccard


def _make_entity(
    label: str, votes: int, members: NDArray[np.int64], n_workers: int
) -> ConsolidatedEntity:
    start = consensus_offset(members[:, 0], upper=False)
    end = consensus_offset(members[:, 1], upper=True)
    jaccard = pairwise_jaccard(np.vstack([np.array([[start, end]]), members]))[0, 1:]
    confidence = votes / n_workers * float(jaccard.mean())
    return ConsolidatedEntity(label, start, end, confidence, len(members))


def consensus_offset(values: NDArray[np.int64], *, upper: bool) -> int:
    """The clear mode of ``values``, else the lower (or ``upper``) median.

    >>> consensus_offset(np.array([3, 3, 5]), upper=False)
    3
    >>> values = np.array([3, 4, 5, 6])
    >>> consensus_offset(values, upper=False), consensus_offset(values, upper=True)
    (4, 5)
    """
    ranked = Counter(values.tolist()).most_common(2)
    if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
        return int(ranked[0][0])
    ordered = np.sort(values)
    return int(ordered[len(ordered) // 2] if upper else ordered[(len(ordered) - 1) // 2])


def _checked_spans(answer: SpanAnswer, worker: int) -> list[tuple[str, int, int]]:
    checked: set[tuple[str, int, int]] = set()
    for index, span in enumerate(answer):
        label, start, end = span
        if not isinstance(label, str) or not label:
            raise ValueError(f"worker {worker}, entity {index}: label must be a non-empty string")
        if (
            isinstance(start, bool)
            or isinstance(end, bool)
            or int(start) != start
            or int(end) != end
        ):
            raise ValueError(f"worker {worker}, entity {index}: offsets must be integers")
        if not 0 <= start < end:
            raise ValueError(
                f"worker {worker}, entity {index}: "
                f"need 0 <= startOffset < endOffset, got {start}, {end}"
            )
        checked.add((label, int(start), int(end)))
    return list(checked)
