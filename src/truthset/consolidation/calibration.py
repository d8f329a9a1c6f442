"""How well confidences match accuracy: expected calibration error and reliability bins.

How ``bayes_ds`` makes its confidences match is in its ``reviewer`` module."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from truthset.consolidation.answers import FloatArray, IntArray

BINS = 10


@dataclass(frozen=True)
class Reliability:
    """Per equal-width confidence bin: how many items, their mean confidence and accuracy.

    Empty bins have count 0 and NaN means.
    """

    lower: FloatArray
    upper: FloatArray
    count: IntArray
    confidence: FloatArray
    accuracy: FloatArray


def reliability(confidence: ArrayLike, correct: ArrayLike, bins: int = BINS) -> Reliability:
    """Bins confidences into ``bins`` equal-width bins over [0, 1] (1.0 goes in the last one).

    >>> r = reliability([0.95, 0.95, 0.55], [True, True, False], bins=10)
    >>> r.count[5], r.count[9]
    (np.int64(1), np.int64(2))
    """
    conf = np.asarray(confidence, dtype=np.float64)
    hits = np.asarray(correct, dtype=np.float64)
    if conf.shape != hits.shape:
        raise ValueError("confidence and correct differ in shape")
    index = np.clip((conf * bins).astype(np.int64), 0, bins - 1)
    count = np.bincount(index, minlength=bins)
    sums = np.bincount(index, weights=conf, minlength=bins)
    right = np.bincount(index, weights=hits, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.where(count > 0, sums / np.maximum(count, 1), np.nan)
        accuracy = np.where(count > 0, right / np.maximum(count, 1), np.nan)
    edges = np.linspace(0.0, 1.0, bins + 1)
    return Reliability(edges[:-1], edges[1:], count.astype(np.int64), mean_conf, accuracy)


def expected_calibration_error(
    confidence: ArrayLike, correct: ArrayLike, bins: int = BINS
) -> float:
    """Sum over bins of (share of items) x |mean confidence - accuracy|; 0 is perfect.

    >>> expected_calibration_error([0.9, 0.9, 0.9, 0.9, 0.9], [1, 1, 1, 1, 0])
    0.1
    """
    table = reliability(confidence, correct, bins)
    total = table.count.sum()
    if total == 0:
        return float("nan")
    gaps = np.abs(table.confidence - table.accuracy)
    return float(round(np.nansum(table.count * gaps) / total, 12))
