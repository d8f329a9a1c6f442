"""The default model's own choices: who fits the estimates, and what the confidence means."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from truthset.consolidation import consolidate, encode_answers
from truthset.consolidation.answers import Answers
from truthset.consolidation.bayes_ds import SETTINGS, bayes_ds


def lone_worker_job() -> tuple[Answers, list[int], list[int]]:
    """Three workers agree on 60 items, nine in ten of class 0. A fourth worker agrees with them
    on 4 items and answers 12 more items nobody else answered, 8 of them with class 1."""
    truth = [1 if i % 10 == 0 else 0 for i in range(60)]
    items, workers, labels = [], [], []
    for i, label in enumerate(truth):
        for worker in "abc":
            items.append(i)
            workers.append(worker)
            labels.append(label)
    for i in (0, 10, 2, 3):
        items.append(i)
        workers.append("lone")
        labels.append(truth[i])
    alone = list(range(100, 112))
    answers = [1 if i % 3 else 0 for i in alone]
    items += alone
    workers += ["lone"] * len(alone)
    labels += answers
    return encode_answers(items, workers, labels, classes=[0, 1]), alone, answers


def test_a_worker_who_answers_alone_keeps_their_answers() -> None:
    a, alone, answers = lone_worker_job()
    indices = [a.index_of("item", i) for i in alone]
    result = bayes_ds(a)
    assert result.label[indices].tolist() == answers
    lone = a.index_of("worker", "lone")
    assert result.worker_confusion[lone, 0, 0] > 0.9
    # Counted as evidence, the lone answers "show" a worker who answers 1 for class-0 items
    # (the class prior says 0), and the class prior then overrules every one of them.
    counted = bayes_ds(a, settings=dataclasses.replace(SETTINGS, min_answers=1))
    assert counted.label[indices].tolist() == [0] * len(alone)


def staggered_crowd(items: int, workers: int, every: int) -> tuple[Answers, np.ndarray]:
    """Every worker misses every ``every``-th item, each a different one: a majority of the
    crowd is always right."""
    truth = np.random.default_rng(5).integers(0, 2, items)
    rows = [
        (i, f"w{w}", int(truth[i]) ^ int((i + 67 * w) % every == 0))
        for w in range(workers)
        for i in range(items)
    ]
    item, worker, label = zip(*rows, strict=True)
    return encode_answers(item, worker, label, classes=[0, 1]), truth


def test_confidence_is_what_a_reviewer_as_good_as_the_best_workers_would_say() -> None:
    # Six workers each right 80% of the time: the label is all but certain, yet a reviewer
    # as good as the best of them agrees with it about 80% of the time.
    a, truth = staggered_crowd(400, 6, every=5)
    result = consolidate(a)
    assert (result.label == truth).all()
    assert result.posterior.max(axis=1).min() > 0.97
    assert 0.77 < result.confidence.min() <= result.confidence.max() < 0.85
    np.testing.assert_allclose(np.diag(result.reviewer_confusion), 0.8, atol=0.04)


def test_with_little_data_the_reviewer_is_taken_to_be_always_right() -> None:
    a = encode_answers(["img"] * 3, ["ann", "bob", "cy"], ["cat"] * 3)
    result = consolidate(a)
    assert result.confidence[0] == pytest.approx(result.posterior[0].max(), abs=1e-3)
    assert result.confidence[0] > 0.995


def test_gold_measures_the_reviewer() -> None:
    # A unanimous crowd, and gold that disagrees with it on a quarter of the gold items.
    truth = np.random.default_rng(6).integers(0, 2, 200)
    rows = [(i, f"u{w}", int(truth[i])) for w in range(5) for i in range(200)]
    item, worker, label = zip(*rows, strict=True)
    a = encode_answers(item, worker, label, classes=[0, 1])
    gold = {i: int(truth[i]) if i % 4 else int(1 - truth[i]) for i in range(80)}
    assert (consolidate(a).confidence == 1.0).all()
    result = consolidate(a, gold=gold)
    rest = np.arange(80, 200)
    assert (result.label[rest] == truth[rest]).all()
    assert 0.75 < result.confidence[rest].min() <= result.confidence[rest].max() < 0.9
    assert (result.confidence[:80] == 1.0).all()
    assert [result.label[i] for i in gold] == list(gold.values())


def test_more_classes_get_a_stronger_prior_per_confusion_row() -> None:
    # Ten classes, a handful of answers per worker: a worker's one stray answer must not
    # decide a whole confusion cell.
    rng = np.random.default_rng(8)
    truth = rng.integers(0, 10, 60)
    rows = []
    for w in range(8):
        for i in rng.choice(60, 20, replace=False):
            answer = int(truth[i]) if rng.random() < 0.8 else int(rng.integers(0, 10))
            rows.append((int(i), w, answer))
    item, worker, label = zip(*rows, strict=True)
    a = encode_answers(item, worker, label, classes=list(range(10)))
    fixed = bayes_ds(a, settings=dataclasses.replace(SETTINGS, strength_growth=0.0))
    grown = bayes_ds(a)
    # The largest off-diagonal cell of any worker stays smaller with the grown prior.
    off = ~np.eye(10, dtype=bool)
    assert grown.worker_confusion[:, off].max() < fixed.worker_confusion[:, off].max()
