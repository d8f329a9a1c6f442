"""Bayesian Dawid-Skene, truthset's default classification consolidation ("bayes-ds").

Model (``docs/consolidation.md`` gives the reasoning and the measured figures):

* Each worker ``w`` has a confusion matrix ``pi_w[t, a]`` (true class t, answer a) with a
  Dirichlet prior centred on a *one-coin* matrix: the worker's own accuracy (shrunk towards the
  crowd's by ``accuracy_strength`` pseudo-answers) on the diagonal, and the crowd's pooled
  pattern of mistakes off the diagonal. The prior weighs ``prior_strength`` pseudo-answers plus
  ``one_coin_share`` of the worker's own answers per row, so a worker with five answers is
  judged almost only by accuracy, and one with thousands keeps a full matrix that still leans
  a little towards the symmetric one-coin shape.
* The class prior has a Dirichlet(1) prior; EM starts from the majority vote.
* Items may come in two *subtypes* per class ("clear" and "confusing" items, whose answers are
  correlated across workers; plain Dawid-Skene mistakes the confusing items of one class for a
  class of their own). That model is fitted by variational Bayes. The one-subtype fit (MAP EM)
  and the two-subtype fit are compared by their evidence lower bound (ELBO) under the same
  prior, and the better explanation of the answers wins. No gold label is used for any of this.

Everything is vectorised over answers through the sparse incidence matrix of ``Answers``, and
EM is accelerated by SQUAREM.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from truthset.consolidation.answers import Answers, FloatArray, IntArray, gold_arrays
from truthset.consolidation.calibration import fit_temperature, temper
from truthset.consolidation.dawid_skene import column_sums, softmax_rows
from truthset.consolidation.majority import majority_vote
from truthset.consolidation.result import Result, build_result, clamp_gold
from truthset.consolidation.squarem import fixed_point
from truthset.consolidation.subtypes import (
    SubtypePrior,
    clear_and_confusing,
    e_step,
    fit_subtypes,
    posteriors,
)


@dataclass(frozen=True)
class BayesSettings:
    """The one set of settings used for every dataset (see the benchmark in the docs)."""

    prior_strength: float = 3.0  # pseudo-answers per confusion row, one-coin shaped
    one_coin_share: float = 0.1  # extra prior weight, as a share of the row's own answers
    accuracy_strength: float = 20.0  # pseudo-answers pulling a worker's accuracy to the crowd's
    subtype_strength: float = 5.0  # prior pseudo-answers per row in the two-subtype model
    subtype_concentration: float = 0.1  # Dirichlet on the subtype shares within a class
    class_concentration: float = 1.0  # Dirichlet on the class prior
    max_iterations: int = 300
    tolerance: float = 1e-5  # stop when posteriors move less than this on average
    subtype_tolerance: float = 1e-4  # the same for the two-subtype responsibilities


SETTINGS = BayesSettings()
# Below this many gold items one temperature fitted on them is more noise than calibration.
MIN_GOLD_TO_CALIBRATE = 30
CROWD_PRIOR_ACCURACY = 0.7
CROWD_PRIOR_STRENGTH = 10.0


def one_coin_mean(counts: FloatArray, accuracy_strength: float) -> FloatArray:
    """Per worker, the one-coin matrix the prior is centred on, from soft counts [w, t, a]."""
    classes = counts.shape[1]
    eye = np.eye(classes)
    pooled = counts.sum(axis=0) + 1.0
    pooled /= pooled.sum(axis=1, keepdims=True)
    errors = pooled * (1 - eye)
    row_sums = errors.sum(axis=1, keepdims=True)
    errors = np.divide(errors, row_sums, out=np.zeros_like(errors), where=row_sums > 0)
    answered = counts.sum(axis=(1, 2))
    correct = np.trace(counts, axis1=1, axis2=2)
    # The crowd's accuracy leans on Ground Truth's prior worker accuracy (0.7) by a few
    # pseudo-answers: without it a job of one or two items has nothing to tell a worker from a
    # coin and EM slides to 50/50. It also keeps the accuracy inside (0, 1).
    crowd = float(
        (correct.sum() + CROWD_PRIOR_STRENGTH * CROWD_PRIOR_ACCURACY)
        / (answered.sum() + CROWD_PRIOR_STRENGTH)
    )
    accuracy = (correct + accuracy_strength * crowd) / (answered + accuracy_strength)
    if classes == 1:
        return np.ones_like(counts)
    mean: FloatArray = accuracy[:, None, None] * eye + (1 - accuracy)[:, None, None] * errors[None]
    return mean


def _map_confusion(answers: Answers, posterior: FloatArray, s: BayesSettings) -> FloatArray:
    counts = answers.confusion_counts(posterior)
    mean = one_coin_mean(counts, s.accuracy_strength)
    weight = s.prior_strength + s.one_coin_share * counts.sum(axis=2, keepdims=True)
    alpha = counts + weight * mean
    rows: FloatArray = alpha / alpha.sum(axis=2, keepdims=True)
    return rows


def _fit_one_subtype(
    answers: Answers, start: FloatArray, gold: tuple[IntArray, IntArray], s: BayesSettings
) -> tuple[FloatArray, int]:
    """Maximum a posteriori EM (posterior-mean M-step) of the one-subtype model."""

    def em_step(posterior: FloatArray) -> FloatArray:
        return clamp_gold(_em_step(answers, posterior, s), *gold)

    posterior, steps = fixed_point(em_step, start.astype(np.float32), s.tolerance, s.max_iterations)
    return posterior.astype(np.float64), steps


def _em_step(answers: Answers, posterior: FloatArray, s: BayesSettings) -> FloatArray:
    """Estimates from ``posterior`` (M-step), then new posteriors for every item (E-step)."""
    confusion = _map_confusion(answers, posterior, s)
    prior = column_sums(posterior) + s.class_concentration
    log_post = answers.log_likelihood(np.log(confusion))
    log_post += np.log(prior / prior.sum()).astype(np.float32)
    return softmax_rows(log_post)


def bayes_ds(
    answers: Answers,
    gold: Mapping[int, int] | None = None,
    seed: int = 0,
    *,
    settings: BayesSettings = SETTINGS,
) -> Result:
    """Bayesian Dawid-Skene with one-coin shrinkage and evidence-selected item subtypes.

    Deterministic: ``seed`` only breaks exact ties between classes. With at least
    ``MIN_GOLD_TO_CALIBRATE`` gold items, confidences are also calibrated on them (one
    temperature, fitted to what the model would have said about the gold items).

    >>> from truthset.consolidation.answers import encode_answers
    >>> a = encode_answers([1, 1, 1, 2, 2, 2], list("xyzxyz"), list("aabbbb"))
    >>> bayes_ds(a).label.tolist()
    [0, 1]
    """
    gold_pair = gold_arrays(answers, gold)
    shares = majority_vote(answers, gold, seed).posterior
    starts = [(_winners(shares), shares)]
    if len(gold_pair[0]):
        seeded = _gold_start(answers, gold_pair, settings)
        starts.append((seeded, seeded))
    best: _Candidate | None = None
    for hard, soft in starts:
        for candidate in _candidates(answers, hard, soft, gold_pair, settings):
            if best is None or candidate.elbo > best.elbo:
                best = candidate
    assert best is not None
    posterior = best.posterior
    if len(gold_pair[0]) >= MIN_GOLD_TO_CALIBRATE:
        temperature = fit_temperature(best.unclamped()[gold_pair[0]], gold_pair[1])
        posterior = temper(posterior, temperature)
    rng = np.random.default_rng(seed)
    return build_result(
        "bayes-ds", answers, posterior, best.confusion, gold_pair, rng, best.iterations
    )


@dataclass(frozen=True)
class _Candidate:
    posterior: FloatArray
    confusion: FloatArray
    iterations: int
    elbo: float
    unclamped: Callable[[], FloatArray]  # posteriors as if no gold label were known


def _candidates(
    answers: Answers,
    hard: FloatArray,
    soft: FloatArray,
    gold: tuple[IntArray, IntArray],
    s: BayesSettings,
) -> list[_Candidate]:
    """The one-subtype fit from ``hard`` and the two-subtype fit from ``soft``, each with its
    evidence lower bound under the same (two-subtype family's) prior."""
    prior = _subtype_prior(s)
    one, one_steps = _fit_one_subtype(answers, hard, gold, s)
    two, two_steps = fit_subtypes(
        answers, clear_and_confusing(soft), gold, prior, s.max_iterations, s.subtype_tolerance
    )
    no_gold = (gold[0][:0], gold[1][:0])
    return [
        _Candidate(
            one,
            _map_confusion(answers, one, s),
            one_steps,
            posteriors(answers, one[:, None, :], prior).elbo(),
            lambda: _em_step(answers, one, s).astype(np.float64),
        ),
        _Candidate(
            two.posterior.astype(np.float64),
            two.class_confusion(),
            two_steps,
            two.elbo(),
            lambda: e_step(answers, two, no_gold).sum(axis=1).astype(np.float64),
        ),
    ]


def _gold_start(answers: Answers, gold: tuple[IntArray, IntArray], s: BayesSettings) -> FloatArray:
    """Posteriors from worker estimates made on the gold items alone (workers who answered no
    gold item get the prior). With gold, EM also starts here: a majority that is consistently
    wrong is a local optimum a start from the majority vote cannot leave."""
    on_gold = clamp_gold(np.zeros((answers.n_items, answers.n_classes)), *gold)
    return clamp_gold(_em_step(answers, on_gold, s).astype(np.float64), *gold)


def _subtype_prior(s: BayesSettings) -> SubtypePrior:
    def mean(counts: FloatArray) -> FloatArray:
        return one_coin_mean(counts, s.accuracy_strength)

    return SubtypePrior(mean, s.subtype_strength, s.subtype_concentration, s.class_concentration)


def _winners(shares: FloatArray) -> FloatArray:
    """The majority as a posterior: 1 for the most voted class, split evenly between ties."""
    top = shares >= shares.max(axis=1, keepdims=True) - 1e-12
    rows: FloatArray = top / top.sum(axis=1, keepdims=True)
    return rows
