"""The clustering shared by boxes, spans, keypoints and polygons (``matching.py``)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from truthset.consolidation.matching import (
    canonical_worker_order,
    cluster_annotations,
    keep_cluster,
    majority_label,
)


@st.composite
def annotation_sets(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    count = draw(st.integers(1, 12))
    workers = np.array(draw(st.lists(st.integers(0, 3), min_size=count, max_size=count)))
    labels = np.array(draw(st.lists(st.integers(0, 2), min_size=count, max_size=count)))
    values = draw(
        st.lists(
            st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]),
            min_size=count * count,
            max_size=count * count,
        )
    )
    overlap = np.array(values).reshape(count, count)
    overlap = np.maximum(overlap, overlap.T)
    return workers, labels, overlap, draw(st.sampled_from([0.0, 0.3, 0.5]))


@settings(max_examples=50, deadline=None)
@given(annotation_sets())
def test_clusters_partition_the_annotations_with_one_per_worker_and_no_disjoint_pair(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, float],
) -> None:
    workers, labels, overlap, threshold = case
    clusters = cluster_annotations(workers, labels, overlap, threshold)
    assert sorted(i for cluster in clusters for i in cluster.tolist()) == list(range(len(workers)))
    for cluster in clusters:
        assert len(set(workers[cluster].tolist())) == len(cluster)
        pairs = overlap[np.ix_(cluster, cluster)] + np.eye(len(cluster))
        assert (pairs > 0).all()


def test_the_best_pair_is_merged_first() -> None:
    # Worker 1's annotation overlaps worker 0's two annotations; it belongs with the closer one.
    overlap = np.array([[1.0, 0.0, 0.6], [0.0, 1.0, 0.8], [0.6, 0.8, 1.0]])
    clusters = cluster_annotations(np.array([0, 0, 1]), np.zeros(3, np.intp), overlap, 0.5)
    assert [c.tolist() for c in clusters] == [[0], [1, 2]]


def test_same_label_wins_a_near_tie() -> None:
    overlap = np.array([[1.0, 0.0, 0.8], [0.0, 1.0, 0.82], [0.8, 0.82, 1.0]])
    clusters = cluster_annotations(np.array([0, 0, 1]), np.array([5, 6, 5]), overlap, 0.5)
    assert [c.tolist() for c in clusters] == [[0, 2], [1]]


def test_average_linkage_keeps_a_chain_apart() -> None:
    # a-b and b-c overlap well, a-c barely: the three must not end in one cluster.
    overlap = np.array([[1.0, 0.6, 0.05], [0.6, 1.0, 0.6], [0.05, 0.6, 1.0]])
    clusters = cluster_annotations(np.array([0, 1, 2]), np.zeros(3, np.intp), overlap, 0.5)
    assert len(clusters) == 2


def test_canonical_order_ignores_the_order_of_workers_and_items() -> None:
    first = canonical_worker_order([[3, 1], [2]], key=lambda v: (v,))
    second = canonical_worker_order([[2], [1, 3]], key=lambda v: (v,))
    assert first == second == [[1, 3], [2]]


def test_majority_label_and_seeded_ties() -> None:
    rng = np.random.default_rng(0)
    assert majority_label([2, 2, 1], rng) == (2, 2)
    winners = {majority_label([1, 2], np.random.default_rng(seed))[0] for seed in range(20)}
    assert winners == {1, 2}


def test_keep_cluster_needs_the_share_of_workers() -> None:
    assert keep_cluster(3, 5, 0.5)
    assert not keep_cluster(2, 5, 0.5)
    assert keep_cluster(2, 4, 0.5)
    assert keep_cluster(1, 2, 0.5)
    assert keep_cluster(1, 10, 0.0)
