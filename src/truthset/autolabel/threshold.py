"""The threshold rule: the lowest model confidence at which machine labels are provably good enough.

Objects of the human-labeled validation set are sorted by the model's confidence. For every
candidate threshold (each distinct confidence) the validation objects at or above it give an
accuracy and a one-sided Clopper-Pearson lower bound on that accuracy; the chosen threshold is the
lowest one whose bound reaches the target. When none does, nothing is machine-labeled.

Validation objects may carry weights (the confidence of their human label): an object whose human
label is itself uncertain then counts for less, and the bound uses Kish's effective sample size
``(sum w)^2 / sum w^2`` so that down-weighting never makes the bound look tighter than the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import beta

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class ThresholdChoice:
    """What the rule decided on the validation set.

    ``threshold`` is None when no threshold reaches the target (then ``covered`` is 0 and
    ``accuracy`` / ``lower_bound`` describe the most accurate candidate that was examined, for
    the iteration record). ``covered`` counts validation objects at or above the threshold.
    """

    threshold: float | None
    accuracy: float
    lower_bound: float
    covered: int
    effective_size: float
    validation_size: int


def accuracy_lower_bound(correct: float, total: float, level: float = 0.95) -> float:
    """One-sided Clopper-Pearson lower bound on an accuracy of ``correct`` out of ``total``.

    Non-integer counts (weighted, effective sizes) use the same beta quantile.

    >>> round(accuracy_lower_bound(59, 59), 4)
    0.9505
    >>> accuracy_lower_bound(0, 10)
    0.0
    """
    return float(lower_bounds(np.array([correct]), np.array([total]), level)[0])


def smallest_sufficient_size(target: float, level: float = 0.95) -> int:
    """The fewest validation objects, all correct, whose bound reaches ``target``.

    >>> smallest_sufficient_size(0.95)
    59
    """
    # The all-correct bound is (1 - level) ** (1 / n); solve for n and guard against rounding.
    n = max(1, math.ceil(math.log(1.0 - level) / math.log(target)))
    while accuracy_lower_bound(n, n, level) < target:
        n += 1
    return n


def choose_threshold(
    confidence: FloatArray,
    correct: BoolArray,
    target: float = 0.95,
    level: float = 0.95,
    weight: FloatArray | None = None,
) -> ThresholdChoice:
    """The lowest confidence threshold whose accuracy lower bound on validation reaches ``target``.

    ``confidence[i]`` is the model's confidence in its label for validation object ``i`` and
    ``correct[i]`` whether that label equals the human label; ``weight[i]`` (default 1) is how
    much the object counts. Ties in confidence are kept together: a threshold admits every object
    at or above it.

    >>> choose_threshold(np.array([0.99] * 60 + [0.5]), np.array([True] * 60 + [False])).threshold
    0.99
    """
    n = len(confidence)
    weight = np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)
    if n == 0 or not np.any(weight > 0):
        return ThresholdChoice(None, 0.0, 0.0, 0, 0.0, n)
    order = np.argsort(-confidence, kind="stable")
    conf = np.asarray(confidence, dtype=np.float64)[order]
    w = weight[order]
    hits = np.cumsum(w * np.asarray(correct, dtype=np.float64)[order])
    total = np.cumsum(w)
    squares = np.cumsum(w * w)
    # A threshold sits at the last object of each run of equal confidences.
    ends = np.flatnonzero(np.append(conf[1:] != conf[:-1], True))
    ends = ends[total[ends] > 0]
    if len(ends) == 0:
        return ThresholdChoice(None, 0.0, 0.0, 0, 0.0, n)
    accuracy = hits[ends] / total[ends]
    effective = total[ends] ** 2 / squares[ends]
    bound = lower_bounds(accuracy * effective, effective, level)
    passing = np.flatnonzero(bound >= target)
    if len(passing):
        at = int(passing[-1])
        threshold: float | None = float(conf[ends[at]])
        covered = int(ends[at] + 1)
    else:
        at = int(np.argmax(bound))
        threshold, covered = None, 0
    return ThresholdChoice(
        threshold, float(accuracy[at]), float(bound[at]), covered, float(effective[at]), n
    )


def lower_bounds(correct: FloatArray, total: FloatArray, level: float) -> FloatArray:
    """:func:`accuracy_lower_bound` over arrays."""
    correct = np.minimum(correct, total)
    positive = (correct > 0) & (total > 0)
    out = np.zeros(len(total))
    out[positive] = beta.ppf(
        1.0 - level, correct[positive], total[positive] - correct[positive] + 1.0
    )
    return out
