"""The threshold rule never auto-labels below the target on the validation set."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from truthset.autolabel import accuracy_lower_bound, choose_threshold, smallest_sufficient_size

LEVELS = [0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0]
validation_sets = st.integers(min_value=0, max_value=200).flatmap(
    lambda n: st.tuples(
        st.lists(st.sampled_from(LEVELS), min_size=n, max_size=n),
        st.lists(st.booleans() | st.just(True), min_size=n, max_size=n),
        st.lists(st.sampled_from([0.0, 1 / 3, 0.5, 2 / 3, 1.0]), min_size=n, max_size=n),
    )
)


def weighted_accuracy(correct: np.ndarray, weight: np.ndarray) -> float:
    return float(np.sum(weight * correct) / np.sum(weight))


@settings(max_examples=200, deadline=None)
@given(validation_sets, st.sampled_from([0.8, 0.9, 0.95, 0.99]), st.booleans())
def test_chosen_threshold_keeps_validation_accuracy_at_target(data, target, weighted):
    confidence, correct, weight = (np.array(column, dtype=float) for column in data)
    correct = correct.astype(bool)
    weight = weight if weighted else np.ones(len(confidence))
    choice = choose_threshold(confidence, correct, target, 0.95, weight if weighted else None)
    if choice.threshold is None:
        assert choice.covered == 0
        return
    admitted = confidence >= choice.threshold
    assert choice.covered == admitted.sum()
    accuracy = weighted_accuracy(correct[admitted], weight[admitted])
    assert accuracy >= choice.lower_bound >= target
    if not weighted:
        assert correct[admitted].mean() >= target
    # The lowest qualifying threshold: admitting the next lower confidence level fails.
    for lower in np.unique(confidence[confidence < choice.threshold]):
        more = confidence >= lower
        if weight[more].sum() > 0:
            n_eff = weight[more].sum() ** 2 / np.sum(weight[more] ** 2)
            acc = weighted_accuracy(correct[more], weight[more])
            assert accuracy_lower_bound(acc * n_eff, n_eff) < target


def test_unreachable_target_admits_nothing():
    rng = np.random.default_rng(0)
    confidence = rng.random(500)
    correct = rng.random(500) < 0.9  # 90% accurate whatever the confidence
    choice = choose_threshold(confidence, correct, target=0.95)
    assert choice.threshold is None and choice.covered == 0
    assert 0.0 < choice.lower_bound < 0.95


def test_a_confident_accurate_top_is_admitted_and_the_rest_is_not():
    confidence = np.concatenate([np.full(200, 0.99), np.linspace(0.3, 0.6, 100)])
    correct = np.concatenate([np.ones(200, bool), np.zeros(100, bool)])
    choice = choose_threshold(confidence, correct, target=0.95)
    # A few wrong ones may come in while the bound still holds; the low tail may not.
    assert choice.threshold is not None and 0.55 < choice.threshold < 0.99
    assert 200 < choice.covered < 215
    assert choice.accuracy >= choice.lower_bound >= 0.95


def test_too_few_validation_objects_cannot_reach_the_target():
    assert smallest_sufficient_size(0.95) == 59
    perfect = np.ones(58, dtype=bool)
    assert choose_threshold(np.full(58, 0.99), perfect, 0.95).threshold is None
    assert choose_threshold(np.full(59, 0.99), np.ones(59, dtype=bool), 0.95).threshold == 0.99


def test_empty_or_weightless_validation_admits_nothing():
    assert choose_threshold(np.zeros(0), np.zeros(0, dtype=bool)).threshold is None
    zero = np.zeros(100)
    assert choose_threshold(np.ones(100), np.ones(100, bool), weight=zero).threshold is None


def test_down_weighted_objects_count_less_and_shrink_the_sample():
    confidence = np.full(100, 0.9)
    correct = np.array([True] * 90 + [False] * 10)
    weight = np.array([1.0] * 90 + [0.1] * 10)
    choice = choose_threshold(confidence, correct, 0.95, weight=weight)
    assert choice.accuracy > 0.98
    assert choice.effective_size < 100


@given(st.integers(1, 500), st.data())
def test_lower_bound_is_below_the_observed_rate_and_grows_with_successes(n, data):
    k = data.draw(st.integers(0, n))
    bound = accuracy_lower_bound(k, n)
    assert 0.0 <= bound <= k / n
    if k < n:
        assert accuracy_lower_bound(k + 1, n) >= bound
