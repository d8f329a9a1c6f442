"""Hand-checkable cases for every classification method, and gold anchoring."""

from __future__ import annotations

import math

import numpy as np
import pytest

from truthset.consolidation import (
    DEFAULT_METHOD,
    METHODS,
    UnknownMethod,
    consolidate,
    encode_answers,
    method_named,
)
from truthset.consolidation.answers import Answers

ALL = sorted(METHODS)
EM = ["bayes-ds", "dawid-skene"]


def crowd(truth: list[int], workers: dict[str, list[int]], classes: int = 2) -> Answers:
    """Every worker answers every item; ``workers[name][i]`` is their answer to item i."""
    items, names, labels = [], [], []
    for name, answers in workers.items():
        for i, label in enumerate(answers):
            items.append(i)
            names.append(name)
            labels.append(label)
    return encode_answers(
        items, names, labels, classes=list(range(classes)), all_items=range(len(truth))
    )


def flip(labels: list[int]) -> list[int]:
    return [1 - k for k in labels]


def noisy(truth: list[int], every: int, offset: int = 0) -> list[int]:
    """The truth with every ``every``-th answer flipped."""
    return [1 - k if (i + offset) % every == 0 else k for i, k in enumerate(truth)]


TRUTH = [i % 2 if i % 5 else 1 for i in range(40)]


def test_default_method_and_aliases() -> None:
    assert DEFAULT_METHOD == "bayes-ds"
    assert method_named("default") is METHODS["bayes-ds"]
    with pytest.raises(UnknownMethod, match="unknown consolidation method 'nope'"):
        method_named("nope")


@pytest.mark.parametrize("method", ALL)
def test_one_worker_gets_their_answers(method: str) -> None:
    a = crowd(TRUTH, {"solo": TRUTH})
    result = consolidate(a, method)
    assert result.label.tolist() == TRUTH
    assert np.all(result.confidence > 0.5)
    assert result.worker_answers.tolist() == [40]


@pytest.mark.parametrize("method", ALL)
def test_unanimous_workers_give_high_confidence(method: str) -> None:
    a = crowd(TRUTH, {w: TRUTH for w in "abcde"})
    result = consolidate(a, method)
    assert result.label.tolist() == TRUTH
    assert np.all(result.confidence > 0.95)
    np.testing.assert_allclose(result.worker_accuracy, result.confidence.mean(), atol=0.05)


@pytest.mark.parametrize("method", ALL)
def test_a_spammer_is_outvoted_and_rated_lowest(method: str) -> None:
    # The honest workers each miss every 7th item, never the same one.
    spam = np.random.default_rng(3).integers(0, 2, len(TRUTH)).tolist()
    honest = {"a": noisy(TRUTH, 7), "b": noisy(TRUTH, 7, 4), "c": noisy(TRUTH, 7, 2)}
    a = crowd(TRUTH, {**honest, "spam": spam})
    result = consolidate(a, method)
    tied = a.votes.max(axis=1) == 2
    assert tied.any()
    assert (result.label == TRUTH)[~tied].all()
    if method == "bayes-ds":  # others may call a 2-2 split against a 1-in-7 error rate a tie
        assert result.label.tolist() == TRUTH
    assert result.worker_accuracy.argmin() == a.index_of("worker", "spam")


@pytest.mark.parametrize("method", EM)
def test_an_adversarial_worker_is_learned_and_inverted(method: str) -> None:
    # Two honest but noisy workers disagree on 8 items; the flipper always answers the
    # opposite of the truth, so once inverted it settles every disagreement.
    a = crowd(
        TRUTH, {"honest1": noisy(TRUTH, 5), "honest2": noisy(TRUTH, 5, 2), "flipper": flip(TRUTH)}
    )
    result = consolidate(a, method)
    flipper = a.index_of("worker", "flipper")
    assert result.label.tolist() == TRUTH
    assert result.worker_confusion[flipper, 0, 1] > 0.8
    assert result.worker_confusion[flipper, 1, 0] > 0.8
    assert result.worker_accuracy[flipper] < 0.2


def test_majority_vote_cannot_use_a_flipper() -> None:
    a = crowd(
        TRUTH, {"honest1": noisy(TRUTH, 5), "honest2": noisy(TRUTH, 5, 2), "flipper": flip(TRUTH)}
    )
    assert consolidate(a, "majority").label.tolist() != TRUTH


@pytest.mark.parametrize("method", ALL)
def test_a_class_nobody_answered_is_never_chosen(method: str) -> None:
    a = crowd(TRUTH, {"a": TRUTH, "b": noisy(TRUTH, 4), "c": TRUTH}, classes=3)
    result = consolidate(a, method)
    assert result.label.tolist() == TRUTH
    assert np.all(result.posterior[:, 2] < 0.05)
    assert result.worker_confusion.shape == (3, 3, 3)
    np.testing.assert_allclose(result.worker_confusion.sum(axis=2), 1.0)
    assert np.isfinite(result.posterior).all()


@pytest.mark.parametrize("method", ALL)
def test_item_without_answers_gets_the_class_prior(method: str) -> None:
    a = encode_answers(
        [0, 0, 1, 1], list("xyxy"), [1, 1, 0, 1], classes=[0, 1], all_items=[0, 1, 2]
    )
    result = consolidate(a, method)
    np.testing.assert_allclose(result.posterior[2].sum(), 1.0)
    assert 0 < result.posterior[2, 1] < 1


def test_majority_ties_are_broken_uniformly_and_reproducibly() -> None:
    a = encode_answers([1, 1], ["x", "y"], ["cat", "dog"])
    picks = [int(consolidate(a, "majority", seed=s).label[0]) for s in range(200)]
    assert 70 < sum(picks) < 130
    assert picks == [int(consolidate(a, "majority", seed=s).label[0]) for s in range(200)]
    assert consolidate(a, "majority").confidence.tolist() == [0.5]


def test_majority_confidence_is_the_vote_share() -> None:
    a = encode_answers([1, 1, 1, 1], list("wxyz"), list("aaab"))
    assert consolidate(a, "majority").confidence.tolist() == [0.75]


def test_small_jobs_stay_sensible() -> None:
    # One item, three workers, a 2-1 split: a probability, not certainty and not a coin.
    a = encode_answers(["img"] * 3, ["ann", "bob", "cy"], ["cat", "cat", "dog"])
    result = consolidate(a)
    assert result.label_id(0) == "cat"
    assert 0.6 < result.confidence[0] < 0.95


@pytest.mark.parametrize("method", ALL)
def test_gold_anchors_labels_and_measures_workers(method: str) -> None:
    # Two workers always agree on the wrong answer, one is always right: without gold the
    # majority wins; five gold items are enough for EM to trust the right worker everywhere.
    truth = TRUTH
    a = crowd(truth, {"wrong1": flip(truth), "wrong2": flip(truth), "right": truth, "late": truth})
    keep = [a.index_of("worker", w) for w in ("wrong1", "wrong2", "right")]
    answers = Answers(
        a.item[np.isin(a.worker, keep) | (a.item < 3)],
        a.worker[np.isin(a.worker, keep) | (a.item < 3)],
        a.label[np.isin(a.worker, keep) | (a.item < 3)],
        a.item_ids,
        a.worker_ids,
        a.label_ids,
    )
    gold = {i: truth[i] for i in range(30, 35)}
    result = consolidate(answers, method, gold=gold)
    for i, k in gold.items():
        assert result.label[i] == k
        assert result.confidence[i] == 1.0
    right = answers.index_of("worker", "right")
    assert result.worker_gold_accuracy[right] == 1.0
    assert result.worker_gold_accuracy[answers.index_of("worker", "wrong1")] == 0.0
    assert math.isnan(result.worker_gold_accuracy[answers.index_of("worker", "late")])
    if method in EM:
        assert result.label.tolist() == truth
        assert result.worker_accuracy[right] > 0.9
    else:
        assert result.label[0] != truth[0]


@pytest.mark.parametrize("method", ALL)
def test_results_map_back_to_ids(method: str) -> None:
    a = encode_answers(["p", "p", "q"], ["x", "y", "x"], ["yes", "yes", "no"])
    result = consolidate(a, method)
    by_id = result.labels_by_item_id()
    assert set(by_id) == {"p", "q"}
    assert by_id["p"][0] == "yes"
    assert by_id["q"][0] == "no"
    assert result.method == method
