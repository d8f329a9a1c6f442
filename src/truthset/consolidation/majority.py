"""Majority vote: the baseline every other method is measured against."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from truthset.consolidation.answers import Answers, gold_arrays
from truthset.consolidation.result import Result, build_result, clamp_gold, soft_confusion


def majority_vote(answers: Answers, gold: Mapping[int, int] | None = None, seed: int = 0) -> Result:
    """The most frequent answer per item; ties are broken uniformly at random (seeded).

    The posterior is the share of votes, so the confidence of a 3-2 split is 0.6; an item nobody
    answered gets the share of all answers. Gold items keep their gold label.

    >>> from truthset.consolidation.answers import encode_answers
    >>> a = encode_answers([1, 1, 1], ["x", "y", "z"], ["cat", "cat", "dog"])
    >>> majority_vote(a).confidence.round(2).tolist()
    [0.67]
    """
    gold_pair = gold_arrays(answers, gold)
    votes = answers.votes
    totals = votes.sum(axis=1, keepdims=True)
    overall = votes.sum(axis=0)
    fallback = overall / overall.sum() if overall.sum() else np.full(answers.n_classes, 1.0)
    fallback = fallback / fallback.sum() if fallback.sum() else fallback
    posterior = np.divide(
        votes, totals, out=np.tile(fallback, (answers.n_items, 1)), where=totals > 0
    )
    posterior = clamp_gold(posterior, *gold_pair)
    confusion = soft_confusion(answers, posterior, smoothing=0.0)
    rng = np.random.default_rng(seed)
    return build_result("majority", answers, posterior, confusion, gold_pair, rng, iterations=0)
