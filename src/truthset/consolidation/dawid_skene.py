"""Dawid-Skene (1979): expectation-maximisation over one full confusion matrix per worker.

This is the classic maximum-likelihood model that Ground Truth's classification consolidation
and crowd-kit's ``DawidSkene`` implement; ``bayes_ds`` adds the priors that keep it stable on
sparse data. Both run on the sparse incidence matrix of :class:`Answers`: one iteration costs
two sparse-dense products, whatever the number of workers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from truthset.consolidation.answers import Answers, FloatArray, IntArray, gold_arrays
from truthset.consolidation.majority import majority_vote
from truthset.consolidation.posteriors import column_sums, softmax_rows
from truthset.consolidation.result import Result, build_result, clamp_gold, soft_confusion

MAX_ITERATIONS = 100
TOLERANCE = 1e-6
# Added to every confusion cell so a worker who never gave some answer does not veto a class
# forever (log 0); small enough to leave the maximum-likelihood estimate unchanged otherwise.
SMOOTHING = 0.01


def dawid_skene(
    answers: Answers,
    gold: Mapping[int, int] | None = None,
    seed: int = 0,
    *,
    max_iterations: int = MAX_ITERATIONS,
    tolerance: float = TOLERANCE,
) -> Result:
    """Classic Dawid-Skene EM, started from the majority vote.

    Stops when no posterior moves by more than ``tolerance`` or after ``max_iterations``.
    With gold, EM also runs from worker estimates made on the gold items alone, and the run
    with the higher likelihood is kept.

    >>> from truthset.consolidation.answers import encode_answers
    >>> a = encode_answers([1, 1, 2, 2], ["x", "y", "x", "y"], ["a", "a", "b", "b"])
    >>> dawid_skene(a).label.tolist()
    [0, 1]
    """
    gold_pair = gold_arrays(answers, gold)
    starts = [majority_vote(answers, gold, seed).posterior]
    if len(gold_pair[0]):
        on_gold = clamp_gold(np.zeros((answers.n_items, answers.n_classes)), *gold_pair)
        starts.append(_e_step(answers, on_gold, gold_pair)[0])
    runs = [_em(answers, start, gold_pair, max_iterations, tolerance) for start in starts]
    posterior, iterations, _ = max(runs, key=lambda run: run[2])
    confusion = soft_confusion(answers, posterior, SMOOTHING)
    rng = np.random.default_rng(seed)
    return build_result("dawid-skene", answers, posterior, confusion, gold_pair, rng, iterations)


def _e_step(
    answers: Answers, posterior: FloatArray, gold: tuple[IntArray, IntArray]
) -> tuple[FloatArray, float]:
    """New posteriors from estimates made on ``posterior``, and the log-likelihood of the
    answers (and gold labels) under those estimates."""
    confusion = soft_confusion(answers, posterior, SMOOTHING)
    prior = column_sums(posterior) + SMOOTHING
    log_joint = answers.log_likelihood(np.log(confusion)).astype(np.float64)
    log_joint += np.log(prior / prior.sum())
    gold_items, gold_labels = gold
    peak = log_joint.max(axis=1, keepdims=True)
    per_item = np.log(np.exp(log_joint - peak).sum(axis=1)) + peak[:, 0]
    per_item[gold_items] = log_joint[gold_items, gold_labels]
    return clamp_gold(softmax_rows(log_joint), *gold), float(per_item.sum())


def _em(
    answers: Answers,
    posterior: FloatArray,
    gold: tuple[IntArray, IntArray],
    max_iterations: int,
    tolerance: float,
) -> tuple[FloatArray, int, float]:
    iteration, likelihood = 0, -np.inf
    for iteration in range(1, max_iterations + 1):  # noqa: B007 - the count is reported
        updated, likelihood = _e_step(answers, posterior, gold)
        change = float(np.abs(updated - posterior).max()) if answers.n_items else 0.0
        posterior = updated
        if change < tolerance:
            break
    return posterior, iteration, likelihood
