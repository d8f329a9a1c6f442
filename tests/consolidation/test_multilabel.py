"""Multi-label consolidation: one binary problem per class."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from truthset.consolidation import AnswersError, consolidate_multilabel


def test_label_list_is_every_class_some_worker_chose() -> None:
    items = ["a"] * 3 + ["b"] * 3
    workers = ["x", "y", "z"] * 2
    sets = [{"cat"}, {"cat", "dog"}, {"cat"}, set(), {"bird"}, set()]
    result = consolidate_multilabel(items, workers, sets)
    assert result.label_ids == ("cat", "dog", "bird")
    assert result.labels(0) == [0, 1]
    assert result.labels(1) == [2]
    cat, dog, bird = (result.confidence[:, c] for c in range(3))
    assert cat[0] > 0.9  # all three chose it
    assert dog[0] < 0.5  # one of three
    assert bird[1] < 0.5
    assert set(result.confidence_map(0)) == {"cat", "dog"}
    assert len(result.per_class) == 3
    assert result.per_class[0].answers.label_ids == ("no", "yes")


def test_a_worker_who_picks_everything_is_discounted_per_class() -> None:
    rng = np.random.default_rng(1)
    truth = rng.random((30, 3)) < 0.4
    items, workers, sets = [], [], []
    for i, row in enumerate(truth):
        for worker in ("a", "b", "c"):
            items.append(i)
            workers.append(worker)
            sets.append({c for c in range(3) if row[c]})
        items.append(i)
        workers.append("everything")
        sets.append({0, 1, 2})
    result = consolidate_multilabel(items, workers, sets, classes=[0, 1, 2])
    assert ((result.confidence > 0.5) == truth).all()
    for per_class in result.per_class:
        everything = per_class.answers.index_of("worker", "everything")
        assert per_class.worker_accuracy[everything] < per_class.worker_accuracy.max()


def test_gold_and_given_classes() -> None:
    result = consolidate_multilabel(
        [1, 1], ["x", "y"], [{"a"}, {"b"}], classes=["a", "b", "c"], gold={1: {"b"}}
    )
    assert result.label_ids == ("a", "b", "c")
    assert result.confidence[0].tolist() == [0.0, 1.0, 0.0]
    assert result.labels(0) == [0, 1]
    with pytest.raises(AnswersError):
        consolidate_multilabel([1], ["x"], [{"z"}], classes=["a"])


def test_second_answer_of_a_worker_is_ignored() -> None:
    result = consolidate_multilabel([1, 1], ["x", "x"], [{"a"}, {"b"}])
    assert result.label_ids == ("a",)
    assert result.per_class[0].answers.n_answers == 1


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 3), st.frozensets(st.sampled_from("pqr"))),
        min_size=1,
        max_size=20,
    )
)
def test_confidences_are_probabilities(rows: list[tuple[int, int, frozenset[str]]]) -> None:
    items, workers, sets = zip(*rows, strict=True)
    result = consolidate_multilabel(items, workers, sets)
    assert result.confidence.shape == result.chosen.shape
    assert ((result.confidence >= 0) & (result.confidence <= 1)).all()
    for i in range(len(result.item_ids)):
        assert set(result.labels(i)) == {
            c for c in range(len(result.label_ids)) if result.chosen[i, c]
        }
