"""The reviewer behind ``bayes_ds`` confidence: how likely a careful reviewer is to agree.

A consolidated label is checked against a reviewer's label (an expert, a gold answer), and a
reviewer is not an oracle: on the benchmark datasets expert gold disagrees with a unanimous crowd
on up to a quarter of items. The confidence is therefore the probability that a reviewer gives
the chosen label, ``sum_t posterior[t] * reviewer[t, label]``, where ``reviewer[t, l]`` is the
reviewer's confusion matrix:

* without gold it is the pooled confusion of the crowd's most accurate workers (those who gave
  the top ``share`` of all answers, a quarter by default), measured against the posterior;
* with gold it is measured on the gold items (gold labels are a reviewer's answers), with the
  crowd's estimate as the prior.

Both lean on ``strength`` pseudo-answers per class (30 by default): towards a reviewer who is
always right when there is little data (a job of three items), towards the crowd's estimate when
gold is scarce.
"""

from __future__ import annotations

import numpy as np

from truthset.consolidation.answers import Answers, FloatArray, IntArray


def crowd_reviewer(
    answers: Answers,
    posterior: FloatArray,
    confusion: FloatArray,
    class_prior: FloatArray,
    share: float,
    strength: float,
) -> FloatArray:
    """[true, reviewer label]: the soft confusion counts of the most accurate workers who gave
    ``share`` of the answers, plus ``strength`` answers per class that are always right.

    >>> from truthset.consolidation.answers import encode_answers
    >>> a = encode_answers([1, 2], ["x", "x"], ["yes", "no"])
    >>> crowd_reviewer(a, np.eye(2), np.eye(2)[None], np.full(2, 0.5), 0.25, 1.0).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    classes = answers.n_classes
    accuracy = np.einsum("t,wtt->w", class_prior, confusion)
    given = answers.answers_per_worker
    order = np.argsort(-accuracy, kind="stable")
    cumulative = np.cumsum(given[order])
    top = np.zeros(answers.n_workers, dtype=bool)
    if answers.n_answers:
        cut = order[int(np.searchsorted(cumulative, share * cumulative[-1]))]
        # Ties at the cut are all in, so the order of workers never matters.
        top = accuracy >= accuracy[cut] - 1e-12
    counts = answers.confusion_counts(posterior)[top].sum(axis=0)
    counts += strength * np.eye(classes)
    rows: FloatArray = counts / counts.sum(axis=1, keepdims=True)
    return rows


def gold_reviewer(
    unclamped: FloatArray, gold_labels: IntArray, prior: FloatArray, strength: float
) -> FloatArray:
    """[true, reviewer label] measured on gold items from the posteriors the model gives them
    with their gold label hidden; ``prior`` (rows summing to 1) weighs ``strength`` answers
    per class.

    One gold item labelled 1 that the model puts in class 0 with 0.9: the reviewer of class-0
    items, one always-right pseudo-answer before, now says 1 about half the time.

    >>> gold_reviewer(np.array([[0.9, 0.1]]), np.array([1]), np.eye(2), 1.0).round(2).tolist()
    [[0.53, 0.47], [0.0, 1.0]]
    """
    classes = prior.shape[0]
    counts = strength * prior
    for label in range(classes):  # few classes: a column at a time
        counts[:, label] += unclamped[gold_labels == label].sum(axis=0)
    rows: FloatArray = counts / counts.sum(axis=1, keepdims=True)
    return rows
