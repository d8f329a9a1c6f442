"""Agreement statistics for the worker-quality page: Krippendorff's alpha and per-worker agreement."""

from __future__ import annotations

import numpy as np

from truthset.consolidation.answers import Answers, FloatArray, IntArray


def coincidences(answers: Answers) -> FloatArray:
    """Krippendorff's coincidence matrix ``o[c, k]`` over items with at least two answers."""
    votes = answers.votes
    pairable = votes.sum(axis=1)
    keep = pairable >= 2
    votes, pairable = votes[keep], pairable[keep]
    # Each ordered pair of answers within an item counts 1 / (m_u - 1).
    weighted = votes / (pairable - 1)[:, None]
    matrix: FloatArray = weighted.T @ votes
    matrix -= np.diag(weighted.sum(axis=0))
    return matrix


def krippendorff_alpha(answers: Answers) -> float:
    """Nominal Krippendorff's alpha: 1 is perfect agreement, 0 is chance, below 0 is worse.

    Items answered once carry no information about agreement and are ignored, as the
    definition requires. NaN when fewer than two pairable answers exist or every answer is the
    same class (no variation, alpha undefined).

    >>> from truthset.consolidation.answers import encode_answers
    >>> a = encode_answers([1, 1, 2, 2], ["x", "y", "x", "y"], ["a", "a", "b", "b"])
    >>> krippendorff_alpha(a)
    1.0
    """
    matrix = coincidences(answers)
    per_class = matrix.sum(axis=1)
    total = per_class.sum()
    if total <= 1:
        return float("nan")
    expected_disagreement = total**2 - float((per_class**2).sum())
    if expected_disagreement <= 0:
        return float("nan")
    observed_disagreement = total - float(np.trace(matrix))
    return float(1.0 - (total - 1) * observed_disagreement / expected_disagreement)


def worker_agreement(answers: Answers, labels: IntArray) -> FloatArray:
    """Per worker, the share of their answers equal to the consolidated label of the item.

    NaN for workers without answers.
    """
    hits = answers.label == labels[answers.item]
    matched = np.bincount(answers.worker, weights=hits, minlength=answers.n_workers)
    counts = answers.answers_per_worker
    share: FloatArray = np.divide(
        matched, counts, out=np.full(answers.n_workers, np.nan), where=counts > 0
    )
    return share
