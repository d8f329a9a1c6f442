"""What every classification method returns, and the parts all of them compute the same way."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from truthset.consolidation.answers import Answers, FloatArray, IntArray
from truthset.consolidation.posteriors import Table, row_max

# Posteriors closer than this count as tied when choosing a label.
TIE_TOLERANCE = 1e-9


@dataclass(frozen=True, eq=False)
class Result:
    """A consolidated label per item and a skill estimate per worker.

    ``posterior[i, k]`` is the probability that item ``i`` has class ``k``; ``label[i]`` is its
    argmax (ties broken by the seeded generator). ``reviewer_confusion[t, r]`` is the probability
    that a reviewer (an expert, a gold answer) labels an item of class ``t`` as ``r``; the
    identity unless the method models the reviewer. ``confidence[i]`` is the probability that a
    reviewer agrees with ``label[i]``: ``review[i, label[i]]`` (1 on gold items).
    ``worker_confusion[w, t, a]`` is the estimated probability that worker ``w`` answers ``a``
    when the true class is ``t`` (rows sum to 1). ``worker_accuracy[w]`` is the expected share of
    the worker's answers that are correct under the posterior; ``worker_gold_accuracy[w]`` is the
    measured share on gold items (NaN when the worker answered no gold item).
    """

    method: str
    answers: Answers
    label: IntArray
    confidence: FloatArray
    posterior: FloatArray
    class_prior: FloatArray
    worker_confusion: FloatArray
    worker_accuracy: FloatArray
    worker_gold_accuracy: FloatArray
    iterations: int
    reviewer_confusion: FloatArray
    review: FloatArray  # [item, class]: the probability that a reviewer gives each class

    @property
    def worker_answers(self) -> IntArray:
        return self.answers.answers_per_worker

    def label_id(self, item: int) -> Hashable:
        """The caller's id of the label chosen for item index ``item``."""
        return self.answers.label_ids[int(self.label[item])]

    def labels_by_item_id(self) -> dict[Hashable, tuple[Hashable, float]]:
        """``{item id: (label id, confidence)}`` for every item."""
        ids = self.answers.label_ids
        return {
            item_id: (ids[int(k)], float(c))
            for item_id, k, c in zip(
                self.answers.item_ids, self.label, self.confidence, strict=True
            )
        }


def choose_labels(posterior: FloatArray, rng: np.random.Generator) -> IntArray:
    """Argmax per row; among (near-)tied maxima one is drawn uniformly."""
    top = row_max(posterior)[:, None]
    tied = posterior >= top - TIE_TOLERANCE
    noise = rng.random(posterior.shape)
    return np.asarray(np.where(tied, noise, -1.0).argmax(axis=1), dtype=np.int64)


def expected_accuracy(answers: Answers, posterior: FloatArray) -> FloatArray:
    """Per worker, the mean posterior probability of the labels they answered."""
    correct = posterior[answers.item, answers.label]
    total = np.bincount(answers.worker, weights=correct, minlength=answers.n_workers)
    counts = answers.answers_per_worker
    share: FloatArray = np.divide(
        total, counts, out=np.full(answers.n_workers, np.nan), where=counts > 0
    )
    return share


def gold_accuracy(answers: Answers, gold_items: IntArray, gold_labels: IntArray) -> FloatArray:
    """Per worker, the share of their answers on gold items that equal the gold label."""
    truth = np.full(answers.n_items, -1, dtype=np.int64)
    truth[gold_items] = gold_labels
    answer_truth = truth[answers.item]
    on_gold = answer_truth >= 0
    hits = (answers.label == answer_truth) & on_gold
    n_gold = np.bincount(answers.worker, weights=on_gold, minlength=answers.n_workers)
    n_hits = np.bincount(answers.worker, weights=hits, minlength=answers.n_workers)
    share: FloatArray = np.divide(
        n_hits, n_gold, out=np.full(answers.n_workers, np.nan), where=n_gold > 0
    )
    return share


def clamp_gold(posterior: Table, gold_items: IntArray, gold_labels: IntArray) -> Table:
    """Gold items get a one-hot posterior: they anchor every estimate computed from it."""
    if len(gold_items):
        posterior[gold_items] = 0.0
        posterior[gold_items, gold_labels] = 1.0
    return posterior


def build_result(
    method: str,
    answers: Answers,
    posterior: FloatArray,
    confusion: FloatArray,
    gold: tuple[IntArray, IntArray],
    rng: np.random.Generator,
    iterations: int,
    reviewer: FloatArray | None = None,
) -> Result:
    posterior = clamp_gold(posterior, *gold)
    label = choose_labels(posterior, rng)
    if reviewer is None:
        reviewer = np.eye(answers.n_classes)
    review = clamp_gold(posterior @ reviewer, *gold)
    confidence = review[np.arange(answers.n_items), label]
    prior = posterior.mean(axis=0) if answers.n_items else np.full(answers.n_classes, np.nan)
    return Result(
        method=method,
        answers=answers,
        label=label,
        confidence=confidence,
        posterior=posterior,
        class_prior=prior,
        worker_confusion=confusion,
        worker_accuracy=expected_accuracy(answers, posterior),
        worker_gold_accuracy=gold_accuracy(answers, *gold),
        iterations=iterations,
        reviewer_confusion=reviewer,
        review=review,
    )


def soft_confusion(answers: Answers, posterior: FloatArray, smoothing: float) -> FloatArray:
    """Row-normalised soft confusion counts with ``smoothing`` added to every cell."""
    counts = answers.confusion_counts(posterior) + smoothing
    totals = counts.sum(axis=2, keepdims=True)
    uniform = np.full_like(counts, 1.0 / max(answers.n_classes, 1))
    rows: FloatArray = np.divide(counts, totals, out=uniform, where=totals > 0)
    return rows
