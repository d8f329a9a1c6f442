"""The item-subtype model of ``bayes_ds``, fitted by variational Bayes, and its evidence bound.

Each class has ``G`` subtypes of items (G = 1 is plain Dawid-Skene). A worker has one confusion
row per (subtype, class), all with the one-coin-centred Dirichlet prior of ``bayes_ds``.
Responsibilities are laid out ``[item, subtype, class]`` and worker counts
``[worker, answer, subtype, class]``, the shape the sparse product with the answers produces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from truthset.consolidation.answers import Answers, Float32Array, FloatArray, IntArray
from truthset.consolidation.posteriors import column_sums, softmax_rows
from truthset.consolidation.squarem import fixed_point

PriorMean = Callable[[FloatArray], FloatArray]


@dataclass(frozen=True)
class SubtypePrior:
    mean: PriorMean  # soft counts [w, answer, true] -> prior mean of each confusion row
    strength: float  # pseudo-answers per confusion row
    subtype_concentration: float  # Dirichlet on the subtype shares within a class
    class_concentration: float  # Dirichlet on the class prior


def _log_beta(alpha: FloatArray, axis: int) -> FloatArray:
    return np.asarray(gammaln(alpha).sum(axis=axis) - gammaln(alpha.sum(axis=axis)))


@dataclass(frozen=True)
class SubtypeFit:
    """Dirichlet posteriors of the subtype model given item responsibilities ``joint``."""

    joint: Float32Array  # [item, subtype, class]
    confusion: FloatArray  # [worker, answer, subtype, class]
    confusion_prior: FloatArray
    confusion_totals: FloatArray  # [worker, subtype, class]: confusion summed over answers
    subtypes: FloatArray  # [subtype, class]
    subtypes_prior: FloatArray
    classes: FloatArray  # [class]
    classes_prior: FloatArray

    @property
    def posterior(self) -> Float32Array:
        """[item, class]: the subtypes summed out."""
        total = self.joint[:, 0].copy()
        for subtype in range(1, self.joint.shape[1]):  # blockwise: numpy is slow across axis 1
            total += self.joint[:, subtype]
        return total

    def elbo(self) -> float:
        """Evidence lower bound; for conjugate Dirichlet posteriors it reduces to log-Beta
        differences plus the entropy of the item responsibilities."""
        joint = self.joint[self.joint > 0].astype(np.float64)
        return float(
            (_log_beta(self.confusion, 1) - _log_beta(self.confusion_prior, 1)).sum()
            + (_log_beta(self.subtypes, 0) - _log_beta(self.subtypes_prior, 0)).sum()
            + _log_beta(self.classes, 0)
            - _log_beta(self.classes_prior, 0)
            - (joint * np.log(joint)).sum()
        )

    def class_confusion(self) -> FloatArray:
        """Per worker [true, answer]: the subtype rows weighted by each class's subtype shares."""
        share = self.subtypes / self.subtypes.sum(axis=0, keepdims=True)
        mean = self.confusion / self.confusion_totals[:, None]
        rows = np.einsum("wagt,gt->wta", mean, share)
        return np.ascontiguousarray(rows)

    def expected_log_likelihoods(self) -> FloatArray:
        """[worker * answer, subtype * class]: E[log confusion] under the Dirichlet posteriors."""
        workers, classes, subtypes, _ = self.confusion.shape
        expected: FloatArray = digamma(self.confusion) - digamma(self.confusion_totals)[:, None]
        return expected.reshape(workers * classes, subtypes * classes)


def posteriors(answers: Answers, joint: Float32Array, prior: SubtypePrior) -> SubtypeFit:
    """The M-step: Dirichlet posteriors from the responsibilities [item, subtype, class]."""
    items, subtypes, classes = joint.shape
    flat = joint.reshape(items, subtypes * classes)
    counts = answers.answer_counts(flat).astype(np.float64)
    counts = counts.reshape(answers.n_workers, classes, subtypes, classes)
    summed = counts[:, :, 0].copy()
    for subtype in range(1, subtypes):
        summed += counts[:, :, subtype]
    confusion_prior = np.broadcast_to(prior.strength * prior.mean(summed)[:, :, None], counts.shape)
    # The prior mean's columns sum to 1, so each row's total is its counts plus the strength.
    totals = np.einsum("wagt->wgt", counts) + prior.strength
    subtypes_prior = np.full((subtypes, classes), prior.subtype_concentration / subtypes)
    classes_prior = np.full(classes, prior.class_concentration)
    per_subtype = column_sums(flat).astype(np.float64).reshape(subtypes, classes)
    return SubtypeFit(
        joint=joint,
        confusion=counts + confusion_prior,
        confusion_prior=confusion_prior,
        confusion_totals=totals,
        subtypes=subtypes_prior + per_subtype,
        subtypes_prior=subtypes_prior,
        classes=classes_prior + per_subtype.sum(axis=0),
        classes_prior=classes_prior,
    )


def e_step(answers: Answers, fit: SubtypeFit, gold: tuple[IntArray, IntArray]) -> Float32Array:
    subtypes, classes = fit.subtypes.shape
    log_joint = answers.item_totals(fit.expected_log_likelihoods())
    log_shares = digamma(fit.subtypes) - digamma(fit.subtypes.sum(axis=0))
    log_shares += digamma(fit.classes) - digamma(fit.classes.sum())
    gold_items, gold_labels = gold
    if len(gold_items):
        # A gold item may only be in its own class; its subtype is still inferred.
        other = np.ones((len(gold_items), classes), dtype=bool)
        other[np.arange(len(gold_items)), gold_labels] = False
        rows = log_joint[gold_items].reshape(-1, subtypes, classes)
        rows[np.broadcast_to(other[:, None, :], rows.shape)] = -np.inf
        log_joint[gold_items] = rows.reshape(len(gold_items), -1)
    offset: Float32Array = log_shares.reshape(-1).astype(np.float32)
    joint = softmax_rows(log_joint, offset)
    # [item, subtype, class] as a view: softmax_rows may hand back a transposed table, which a
    # plain reshape would copy.
    return joint.T.reshape(subtypes, classes, -1).transpose(2, 0, 1)


def clear_and_confusing(start: FloatArray) -> Float32Array:
    """Two subtypes from vote shares: an item's class mass goes to "clear" in proportion to how
    unanimous its votes are (sum of squared shares) and to "confusing" for the rest."""
    purity = (start * start).sum(axis=1, keepdims=True)
    return np.stack([start * purity, start * (1 - purity)], axis=1).astype(np.float32)


def fit_subtypes(
    answers: Answers,
    joint: Float32Array,
    gold: tuple[IntArray, IntArray],
    prior: SubtypePrior,
    max_iterations: int,
    tolerance: float,
) -> tuple[SubtypeFit, int]:
    """Variational Bayes from the responsibilities ``joint``; stops when the responsibilities
    move by less than ``tolerance`` on average."""

    def vb_step(state: Float32Array) -> Float32Array:
        return e_step(answers, posteriors(answers, state, prior), gold)

    joint, steps = fixed_point(vb_step, joint, tolerance, max_iterations)
    return posteriors(answers, joint, prior), steps
