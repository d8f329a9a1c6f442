"""The item-subtype model of ``bayes_ds``, fitted by variational Bayes, and its evidence bound.

Each class has ``G`` subtypes of items (G = 1 is plain Dawid-Skene). A worker has one confusion
row per (subtype, class), all with the one-coin-centred Dirichlet prior of ``bayes_ds``.
Arrays are laid out ``[item, subtype, class]`` and ``[worker, subtype, class, answer]`` so that
the sums over subtypes are sums of contiguous blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from truthset.consolidation.answers import Answers, FloatArray, IntArray
from truthset.consolidation.dawid_skene import column_sums, softmax_rows
from truthset.consolidation.squarem import fixed_point

PriorMean = Callable[[FloatArray], FloatArray]


@dataclass(frozen=True)
class SubtypePrior:
    mean: PriorMean  # soft counts [w, true, answer] -> prior mean of each confusion row
    strength: float  # pseudo-answers per confusion row
    subtype_concentration: float  # Dirichlet on the subtype shares within a class
    class_concentration: float  # Dirichlet on the class prior


def _log_beta(alpha: FloatArray) -> FloatArray:
    return np.asarray(gammaln(alpha).sum(axis=-1) - gammaln(alpha.sum(axis=-1)))


def _expected_log(alpha: FloatArray) -> FloatArray:
    return np.asarray(digamma(alpha) - digamma(alpha.sum(axis=-1, keepdims=True)))


@dataclass(frozen=True)
class SubtypeFit:
    """Dirichlet posteriors of the subtype model given item responsibilities ``joint``."""

    joint: FloatArray  # [item, subtype, class]
    confusion: FloatArray  # [worker, subtype, class, answer]
    confusion_prior: FloatArray
    subtypes: FloatArray  # [subtype, class]
    subtypes_prior: FloatArray
    classes: FloatArray  # [class]
    classes_prior: FloatArray

    @property
    def posterior(self) -> FloatArray:
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
            (_log_beta(self.confusion) - _log_beta(self.confusion_prior)).sum()
            + (_log_beta(self.subtypes.T) - _log_beta(self.subtypes_prior.T)).sum()
            + _log_beta(self.classes)
            - _log_beta(self.classes_prior)
            - (joint * np.log(joint)).sum()
        )

    def class_confusion(self) -> FloatArray:
        """Per worker [true, answer]: the subtype rows weighted by each class's subtype shares."""
        share = self.subtypes / self.subtypes.sum(axis=0, keepdims=True)
        mean = self.confusion / self.confusion.sum(axis=3, keepdims=True)
        return np.asarray((mean * share[None, :, :, None]).sum(axis=1))


def posteriors(answers: Answers, joint: FloatArray, prior: SubtypePrior) -> SubtypeFit:
    """The M-step: Dirichlet posteriors from the responsibilities [item, subtype, class]."""
    items, subtypes, classes = joint.shape
    counts = answers.confusion_counts(joint.reshape(items, subtypes * classes))
    counts = counts.reshape(answers.n_workers, subtypes, classes, classes)
    mean = prior.mean(counts.sum(axis=1))
    confusion_prior = np.broadcast_to(prior.strength * mean[:, None], counts.shape)
    subtypes_prior = np.full((subtypes, classes), prior.subtype_concentration / subtypes)
    classes_prior = np.full(classes, prior.class_concentration)
    per_subtype = column_sums(joint.reshape(items, -1)).reshape(subtypes, classes)
    return SubtypeFit(
        joint=joint,
        confusion=counts + confusion_prior,
        confusion_prior=confusion_prior,
        subtypes=subtypes_prior + per_subtype,
        subtypes_prior=subtypes_prior,
        classes=classes_prior + per_subtype.sum(axis=0),
        classes_prior=classes_prior,
    )


def e_step(answers: Answers, fit: SubtypeFit, gold: tuple[IntArray, IntArray]) -> FloatArray:
    workers, subtypes, classes, _ = fit.confusion.shape
    log_confusion = _expected_log(fit.confusion).reshape(workers, subtypes * classes, classes)
    log_joint = answers.log_likelihood(log_confusion).reshape(-1, subtypes, classes)
    log_joint += _expected_log(fit.subtypes.T).T[None]
    log_joint += _expected_log(fit.classes)[None, None, :]
    gold_items, gold_labels = gold
    if len(gold_items):
        # A gold item may only be in its own class; its subtype is still inferred.
        other = np.ones((len(gold_items), classes), dtype=bool)
        other[np.arange(len(gold_items)), gold_labels] = False
        rows = log_joint[gold_items]
        rows[np.broadcast_to(other[:, None, :], rows.shape)] = -np.inf
        log_joint[gold_items] = rows
    flat = log_joint.reshape(len(log_joint), subtypes * classes)
    return softmax_rows(flat).reshape(log_joint.shape)


def clear_and_confusing(start: FloatArray) -> FloatArray:
    """Two subtypes from vote shares: an item's class mass goes to "clear" in proportion to how
    unanimous its votes are (sum of squared shares) and to "confusing" for the rest."""
    purity = (start * start).sum(axis=1, keepdims=True)
    return np.stack([start * purity, start * (1 - purity)], axis=1).astype(np.float32)


def fit_subtypes(
    answers: Answers,
    joint: FloatArray,
    gold: tuple[IntArray, IntArray],
    prior: SubtypePrior,
    max_iterations: int,
    tolerance: float,
) -> tuple[SubtypeFit, int]:
    """Variational Bayes from the responsibilities ``joint``; stops when no responsibility
    moves by more than ``tolerance``."""

    def vb_step(state: FloatArray) -> FloatArray:
        return e_step(answers, posteriors(answers, state, prior), gold)

    joint, steps = fixed_point(vb_step, joint, tolerance, max_iterations)
    return posteriors(answers, joint, prior), steps
