"""Adaptive workers per object: after each answer, is one more answer worth asking for?

An object is first answered by ``min_answers`` workers. After every later answer its posterior
under the job's current worker model (the confusion matrices of the last consolidation) decides:
the object is *done* when the top label's calibrated confidence reaches ``target``, otherwise it
is offered to one more worker, up to ``max_answers``. ``docs/adaptive.md`` has the measured
figures on the 16 crowd datasets (``benchmarks/adaptive.py``).

Two things keep the rule honest when the model is young or wrong:

* a worker the model has not seen yet (or has seen answering a handful of objects) is judged
  with the one-coin prior of ``bayes_ds`` (the crowd's accuracy) *tempered* by ``new_worker``
  pseudo-answers: early on two agreeing strangers should not close an object on their own;
* crowd answers on one object are correlated (a confusing object fools several workers the
  same way), which naive Bayes ignores and which makes its posteriors overconfident exactly
  where it matters: the answers of an object are judged as draws from a Polya urn of
  concentration ``urn`` (``_urn``), so that the k-th answer agreeing with the earlier ones is
  worth less than an independent one, while a dissenting answer counts in full. Two agreeing
  good workers still close an easy object; five agreeing answers are not five times the
  evidence. (Tempering every log-likelihood by ``evidence_weight`` < 1, and a reviewer's
  agreement as the confidence, were the rule before: both discount dissent as much as
  agreement and measured worse; see docs/adaptive.md.)

Pure computation: NumPy in, NumPy out; the dispatcher and the replay benchmark call it.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from truthset.consolidation.answers import FloatArray, IntArray
from truthset.consolidation.result import Result


@dataclass(frozen=True)
class StoppingRule:
    """When an object has enough answers. ``target`` is the confidence to reach (the job's
    ``target_confidence``); the other settings are the one setting measured for every job."""

    target: float = 0.95
    min_answers: int = 2
    max_answers: int = 5
    # Measured on the crowd datasets (benchmarks/adaptive.py): see the module docstring.
    urn: float = 7.0  # Polya-urn concentration of an object's answers; 0: independent answers
    evidence_weight: float = 1.0  # tempering of the answers' log-likelihood
    new_worker: float = 50.0  # answers below which a worker leans on the crowd's accuracy
    reviewer: bool = False  # the confidence is a reviewer's agreement, not the posterior
    robust: bool = False  # also judge the answers as if all workers had the crowd's skill
    uniform_share: float = 0.5  # of the class prior that is uniform, not fitted

    def __post_init__(self) -> None:
        if not 0.0 < self.target < 1.0:
            raise ValueError("target confidence must be between 0 and 1 (exclusive)")
        if not 1 <= self.min_answers <= self.max_answers:
            raise ValueError("need 1 <= min answers <= max answers")


@dataclass(frozen=True, eq=False)
class WorkerModel:
    """The job's current worker model, as the stopping rule uses it.

    ``log_confusion[w, t, a]`` is the log-probability that worker ``w`` answers ``a`` when the
    truth is ``t``; the last row is the prior for a worker the model has never seen.
    """

    worker_index: Mapping[Hashable, int]
    label_ids: tuple[Hashable, ...]
    log_confusion: FloatArray
    log_class_prior: FloatArray
    reviewer: FloatArray  # [true, reviewer label]

    @property
    def n_classes(self) -> int:
        return len(self.label_ids)

    def worker_rows(self, workers: Sequence[Hashable]) -> IntArray:
        unknown = len(self.log_confusion) - 1
        return np.fromiter(
            (self.worker_index.get(w, unknown) for w in workers), np.int64, len(workers)
        )


def prior_model(label_ids: Sequence[Hashable], accuracy: float = 0.7) -> WorkerModel:
    """The model before any consolidation: every worker a one-coin worker of ``accuracy``
    (Ground Truth's prior worker accuracy), uniform classes, a reviewer who is always right."""
    classes = len(label_ids)
    return WorkerModel(
        {},
        tuple(label_ids),
        np.log(_one_coin(accuracy, classes))[None],
        np.full(classes, -np.log(classes)),
        np.eye(classes),
    )


def model_from_result(result: Result, rule: StoppingRule = StoppingRule()) -> WorkerModel:
    """The stopping rule's view of a consolidation ``Result``: each worker's confusion matrix,
    pulled towards the crowd's one-coin matrix by ``rule.new_worker`` pseudo-answers (a worker
    with few answers is judged mostly by the crowd's accuracy), plus a row for unseen workers."""
    answers = result.answers
    classes = answers.n_classes
    confusion = result.worker_confusion
    given = answers.answers_per_worker.astype(np.float64)
    diagonal = np.einsum("t,wtt->w", result.class_prior, confusion) if len(given) else given
    crowd_accuracy = float(given @ diagonal / given.sum()) if given.sum() else 0.7
    crowd = _one_coin(crowd_accuracy, classes)
    weight = (given / (given + rule.new_worker))[:, None, None]
    blended = weight * confusion + (1 - weight) * crowd[None]
    rows = np.concatenate([blended, crowd[None]], axis=0)
    prior = (1 - rule.uniform_share) * result.class_prior + rule.uniform_share / classes
    return WorkerModel(
        {w: i for i, w in enumerate(answers.worker_ids)},
        tuple(answers.label_ids),
        np.log(np.clip(rows, 1e-6, None)),
        np.log(prior / prior.sum()),
        result.reviewer_confusion,
    )


def _one_coin(accuracy: float, classes: int) -> FloatArray:
    if classes == 1:
        return np.ones((1, 1))
    accuracy = min(max(accuracy, 1.0 / classes), 0.999)
    off = (1 - accuracy) / (classes - 1)
    matrix: FloatArray = np.full((classes, classes), off) + (accuracy - off) * np.eye(classes)
    return matrix


def confidences(
    model: WorkerModel,
    item: IntArray,
    worker_row: IntArray,
    label: IntArray,
    n_items: int,
    rule: StoppingRule = StoppingRule(),
) -> tuple[IntArray, FloatArray]:
    """For ``n_items`` objects and their answers (object ``item[a]`` answered ``label[a]`` by the
    worker in row ``worker_row[a]`` of the model): the top label of each object and the
    probability that a reviewer agrees with it."""
    per_answer = model.log_confusion[worker_row, :, label]
    if rule.urn > 0:
        per_answer = _urn(per_answer, item, label, model.n_classes, rule.urn)
    review = _review(model, per_answer, item, n_items, rule)
    top = np.asarray(review.argmax(axis=1), dtype=np.int64)
    confidence = review[np.arange(n_items), top]
    if rule.robust:
        # The same answers judged as if every worker had the crowd's skill: an object is only
        # as certain as the less certain of the two views, so a label the worker model believes
        # against the crowd's majority (or the reverse) waits for more answers.
        crowd = model.log_confusion[-1][:, label].T
        confidence = np.minimum(
            confidence, _review(model, crowd, item, n_items, rule)[np.arange(n_items), top]
        )
    return top, confidence


def _urn(
    per_answer: FloatArray, item: IntArray, label: IntArray, classes: int, urn: float
) -> FloatArray:
    """Answers on one object as draws from a Polya urn: the j-th answer is ``a`` with
    probability ``(urn * p(a | t) + earlier a's) / (urn + j - 1)``. Agreeing answers then
    count for less than independent ones (correlated errors), disagreeing ones in full."""
    n = len(item)
    position = np.arange(n)
    by_item = np.lexsort((position, item))
    first = np.searchsorted(item[by_item], item[by_item], side="left")
    earlier = np.empty(n)
    earlier[by_item] = position - first
    key = item * classes + label
    by_key = np.lexsort((position, key))
    first_key = np.searchsorted(key[by_key], key[by_key], side="left")
    same = np.empty(n)
    same[by_key] = position - first_key
    mixed = (urn * np.exp(per_answer) + same[:, None]) / (urn + earlier[:, None])
    result: FloatArray = np.log(mixed)
    return result


def _review(
    model: WorkerModel, per_answer: FloatArray, item: IntArray, n_items: int, rule: StoppingRule
) -> FloatArray:
    """[object, class]: the tempered posterior from per-answer log-likelihoods ``[answer,
    true]``, then (with ``rule.reviewer``) the reviewer's view of it."""
    log_post = np.tile(model.log_class_prior, (n_items, 1))
    for t in range(model.n_classes):  # few classes: one bincount per class beats a product
        log_post[:, t] += rule.evidence_weight * np.bincount(
            item, weights=per_answer[:, t], minlength=n_items
        )
    log_post -= log_post.max(axis=1, keepdims=True)
    posterior = np.exp(log_post)
    posterior /= posterior.sum(axis=1, keepdims=True)
    review: FloatArray = posterior @ model.reviewer if rule.reviewer else posterior
    return review


def done(confidence: FloatArray, answered: IntArray, rule: StoppingRule) -> NDArray[np.bool_]:
    """Per object, whether it needs no more answers: the maximum reached, or at least the
    minimum and the confidence at the target."""
    enough = answered >= rule.min_answers
    result: NDArray[np.bool_] = (answered >= rule.max_answers) | (
        enough & (confidence >= rule.target)
    )
    return result


@dataclass(frozen=True)
class Decision:
    done: bool
    label: Hashable | None
    confidence: float


def decide(
    model: WorkerModel,
    answers: Sequence[tuple[Hashable, Hashable]],
    rule: StoppingRule,
) -> Decision:
    """One object: its answers so far as ``(worker id, label id)`` pairs. Labels the model does
    not know (a class nobody chose before) count as no evidence."""
    index = {label: k for k, label in enumerate(model.label_ids)}
    known = [(w, index[a]) for w, a in answers if a in index]
    rows = model.worker_rows([w for w, _ in known])
    labels = np.fromiter((a for _, a in known), np.int64, len(known))
    top, confidence = confidences(model, np.zeros(len(known), np.int64), rows, labels, 1, rule)
    finished = bool(done(confidence, np.array([len(answers)]), rule)[0])
    return Decision(finished, model.label_ids[int(top[0])], float(confidence[0]))
