"""Invariants of every classification method on random small jobs (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from truthset.consolidation import METHODS, consolidate, encode_answers
from truthset.consolidation.answers import Answers

Row = tuple[int, int, int]


@st.composite
def jobs(draw: st.DrawFn) -> tuple[list[Row], int]:
    """Answers (item, worker, label) with at most one answer per (item, worker) pair."""
    classes = draw(st.integers(2, 4))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, 7), st.integers(0, 4)), min_size=1, max_size=30, unique=True
        )
    )
    labels = draw(st.lists(st.integers(0, classes - 1), min_size=len(pairs), max_size=len(pairs)))
    return [(i, w, k) for (i, w), k in zip(pairs, labels, strict=True)], classes


def encode(rows: list[Row], classes: int) -> Answers:
    items, workers, labels = zip(*rows, strict=True)
    return encode_answers(items, workers, labels, classes=list(range(classes)))


def by_item(answers: Answers, values: np.ndarray) -> dict[object, np.ndarray]:
    return {item: values[i] for i, item in enumerate(answers.item_ids)}


@pytest.mark.parametrize("method", sorted(METHODS))
@settings(max_examples=40, deadline=None)
@given(job=jobs(), seed=st.integers(0, 2**16))
def test_posteriors_are_distributions_and_runs_repeat(
    method: str, job: tuple[list[Row], int], seed: int
) -> None:
    rows, classes = job
    answers = encode(rows, classes)
    result = consolidate(answers, method, seed=seed)
    items = np.arange(answers.n_items)
    assert result.posterior.shape == (answers.n_items, classes)
    assert np.isfinite(result.posterior).all()
    np.testing.assert_allclose(result.posterior.sum(axis=1), 1.0, atol=1e-6)
    assert ((result.confidence >= 0) & (result.confidence <= 1)).all()
    np.testing.assert_allclose(result.posterior[items, result.label], result.posterior.max(axis=1))
    # The confidence is the probability that a reviewer gives the label (see Result).
    np.testing.assert_allclose(result.review.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(result.confidence, result.review[items, result.label], atol=1e-9)
    np.testing.assert_allclose(result.reviewer_confusion.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(result.worker_confusion.sum(axis=2), 1.0, atol=1e-6)
    accuracy = result.worker_accuracy
    assert ((accuracy >= 0) & (accuracy <= 1)).all()
    again = consolidate(answers, method, seed=seed)
    np.testing.assert_array_equal(result.label, again.label)
    np.testing.assert_array_equal(result.posterior, again.posterior)


@pytest.mark.parametrize("method", sorted(METHODS))
@settings(max_examples=40, deadline=None)
@given(job=jobs(), order=st.randoms(use_true_random=False), rename=st.booleans())
def test_order_of_answers_and_names_of_workers_change_nothing(
    method: str, job: tuple[list[Row], int], order: object, rename: bool
) -> None:
    rows, classes = job
    shuffled = list(rows)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    if rename:  # a different numbering of workers (and so of items seen first)
        shuffled = [(i, 10 - w, k) for i, w, k in shuffled]
    first, second = encode(rows, classes), encode(shuffled, classes)
    one, two = consolidate(first, method), consolidate(second, method)
    left, right = by_item(first, one.posterior), by_item(second, two.posterior)
    # EM stops when posteriors move less than 1e-4 on average per step, so two orders of the
    # same answers stop a few such steps apart from the fixed point (2.4e-4 was seen).
    for item, posterior in left.items():
        np.testing.assert_allclose(posterior, right[item], atol=1e-3)
