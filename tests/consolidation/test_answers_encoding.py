"""Encoding answers: id <-> index maps, counts, the sparse incidence products."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from truthset.consolidation import AnswersError, encode_answers, encode_gold
from truthset.consolidation.answers import Answers, gold_arrays


def test_ids_are_numbered_in_first_seen_order() -> None:
    a = encode_answers(["b", "a", "b"], ["w2", "w1", "w1"], ["no", "yes", "yes"])
    assert a.item.tolist() == [0, 1, 0]
    assert a.worker.tolist() == [0, 1, 1]
    assert a.label.tolist() == [0, 1, 1]
    assert (a.item_ids, a.worker_ids, a.label_ids) == (("b", "a"), ("w2", "w1"), ("no", "yes"))
    assert (a.n_items, a.n_workers, a.n_classes, a.n_answers) == (2, 2, 2, 3)
    assert a.index_of("item", "a") == 1
    assert a.answers_per_worker.tolist() == [1, 2]
    assert a.answers_per_item.tolist() == [2, 1]
    assert a.votes.tolist() == [[1, 1], [0, 1]]


def test_given_classes_and_items_fix_the_order_and_may_go_unused() -> None:
    a = encode_answers([7], ["w"], ["b"], classes=["a", "b", "c"], all_items=[5, 6, 7])
    assert a.label_ids == ("a", "b", "c")
    assert a.item.tolist() == [2]
    assert a.votes.tolist() == [[0, 0, 0], [0, 0, 0], [0, 1, 0]]


def test_unknown_label_or_item_is_refused() -> None:
    with pytest.raises(AnswersError, match="not one of the given labels"):
        encode_answers([1], ["w"], ["z"], classes=["a"])
    with pytest.raises(AnswersError, match="label 'y' is not one"):  # the first one met
        encode_answers([1, 2, 3], list("uvw"), ["a", "y", "z"], classes=["a"])
    with pytest.raises(AnswersError, match="item 9 is not one of the given items"):
        encode_answers([9], ["w"], ["a"], all_items=[1, 2])
    a = encode_answers([1], ["w"], ["a"])
    with pytest.raises(AnswersError, match="unknown item"):
        encode_gold(a, {2: "a"})
    with pytest.raises(AnswersError, match="unknown label"):
        encode_gold(a, {1: "b"})


def test_repeated_given_classes_count_once_and_inputs_may_be_iterators() -> None:
    a = encode_answers(iter([1, 2]), (w for w in "xy"), iter("ba"), classes=["a", "b", "a"])
    assert a.label_ids == ("a", "b")
    assert a.label.tolist() == [1, 0]
    assert a.item_ids == (1, 2)


def test_arrays_out_of_range_or_of_different_length_are_refused() -> None:
    with pytest.raises(AnswersError, match="label index out of range"):
        Answers(np.array([0]), np.array([0]), np.array([2]), (1,), ("w",), ("a", "b"))
    with pytest.raises(AnswersError, match="differ in length"):
        Answers(np.array([0, 0]), np.array([0]), np.array([0]), (1,), ("w",), ("a",))
    a = encode_answers([1], ["w"], ["a"])
    with pytest.raises(AnswersError, match="gold label index"):
        gold_arrays(a, {0: 3})


def test_gold_by_ids_becomes_indices() -> None:
    a = encode_answers(["x", "y"], ["w", "w"], ["cat", "dog"])
    assert encode_gold(a, {"y": "cat"}) == {1: 0}


answer_rows = st.lists(
    st.tuples(st.integers(0, 6), st.sampled_from("pqrs"), st.sampled_from(["a", "b", "c"])),
    min_size=1,
    max_size=30,
)


@given(answer_rows)
def test_encoding_round_trips_and_products_match_loops(rows: list[tuple[int, str, str]]) -> None:
    items, workers, labels = zip(*rows, strict=True)
    a = encode_answers(items, workers, labels)
    decoded = [
        (a.item_ids[i], a.worker_ids[w], a.label_ids[k])
        for i, w, k in zip(a.item, a.worker, a.label, strict=True)
    ]
    assert decoded == rows
    rng = np.random.default_rng(0)
    posterior = rng.dirichlet(np.ones(a.n_classes), a.n_items)
    expected = np.zeros((a.n_workers, a.n_classes, a.n_classes))
    for i, w, k in zip(a.item, a.worker, a.label, strict=True):
        expected[w, :, k] += posterior[i]
    np.testing.assert_allclose(a.confusion_counts(posterior), expected, rtol=1e-5, atol=1e-6)
    log_confusion = rng.normal(size=(a.n_workers, a.n_classes, a.n_classes))
    summed = np.zeros((a.n_items, a.n_classes))
    for i, w, k in zip(a.item, a.worker, a.label, strict=True):
        summed[i] += log_confusion[w, :, k]
    np.testing.assert_allclose(a.log_likelihood(log_confusion), summed, rtol=1e-5, atol=1e-5)


@given(answer_rows, st.integers(1, 9))
def test_sparse_products_match_loops_for_any_number_of_columns(
    rows: list[tuple[int, str, str]], columns: int
) -> None:
    # One or two columns and more columns take different scipy kernels.
    items, workers, labels = zip(*rows, strict=True)
    a = encode_answers(items, workers, labels)
    rng = np.random.default_rng(1)
    per_item = rng.random((a.n_items, columns))
    per_row = rng.random((a.n_workers * a.n_classes, columns))
    counts = np.zeros_like(per_row)
    totals = np.zeros_like(per_item)
    for i, w, k in zip(a.item, a.worker, a.label, strict=True):
        counts[w * a.n_classes + k] += per_item[i]
        totals[i] += per_row[w * a.n_classes + k]
    np.testing.assert_allclose(a.answer_counts(per_item), counts, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a.item_totals(per_row), totals, rtol=1e-5, atol=1e-6)
