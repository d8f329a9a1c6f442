"""Bayesian Dawid-Skene, truthset's default classification consolidation ("bayes-ds").

Model (``docs/consolidation.md`` gives the reasoning and the measured figures):

* Each worker ``w`` has a confusion matrix ``pi_w[t, a]`` (true class t, answer a) with a
  Dirichlet prior centred on a *one-coin* matrix: the worker's own accuracy (shrunk towards the
  crowd's by ``accuracy_strength`` pseudo-answers) on the diagonal, and the crowd's pooled
  pattern of mistakes off the diagonal. The prior weighs ``prior_strength`` pseudo-answers
  (for two classes, more for more classes) plus ``one_coin_share`` of the worker's own answers
  per row, so a worker with five answers is judged almost only by accuracy, and one with
  thousands keeps a full matrix that still leans a little towards the one-coin shape.
* The class prior has a Dirichlet(1) prior; EM starts from the majority vote.
* Items answered once (and not gold) do not fit the estimates: an answer nobody else gave to
  that item cannot show whether its worker is right. They are labelled from the fitted model.
* For two classes, items may come in two *subtypes* per class ("clear" and "confusing" items,
  whose answers are correlated across workers; plain Dawid-Skene mistakes the confusing items
  of one class for a class of their own). That model is fitted by variational Bayes, and the
  one-subtype and two-subtype fits are compared by their evidence lower bound (ELBO) under the
  same prior; the better explanation of the answers wins. No gold label is used for this.
* The confidence is the probability that a reviewer agrees with the label (``reviewer``).

Everything is vectorised over answers through the sparse incidence matrix of ``Answers``, and
EM is accelerated by SQUAREM.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from truthset.consolidation.answers import (
    Answers,
    Float32Array,
    FloatArray,
    IntArray,
    gold_arrays,
)
from truthset.consolidation.posteriors import column_sums, row_max, row_sums, softmax_rows
from truthset.consolidation.result import Result, build_result, clamp_gold
from truthset.consolidation.reviewer import crowd_reviewer, gold_reviewer
from truthset.consolidation.squarem import fixed_point
from truthset.consolidation.subtypes import (
    SubtypePrior,
    clear_and_confusing,
    e_step,
    fit_subtypes,
)


@dataclass(frozen=True)
class BayesSettings:
    """The one set of settings used for every dataset (see the benchmark in the docs)."""

    prior_strength: float = 3.0  # pseudo-answers per confusion row (two classes), one-coin shaped
    strength_growth: float = 0.5  # ... times (classes / 2) ** strength_growth for more classes
    one_coin_share: float = 0.1  # extra prior weight, as a share of the row's own answers
    accuracy_strength: float = 20.0  # pseudo-answers pulling a worker's accuracy to the crowd's
    subtype_strength: float = 5.0  # prior pseudo-answers per row in the two-subtype model
    subtype_concentration: float = 0.1  # Dirichlet on the subtype shares within a class
    class_concentration: float = 1.0  # Dirichlet on the class prior
    max_iterations: int = 300
    tolerance: float = 1e-4  # stop when posteriors move less than this on average
    subtype_tolerance: float = 1e-4  # the same for the two-subtype responsibilities
    evidence_tolerance: float = 1e-3  # VB steps that tighten the one-subtype fit's bound
    subtype_classes: int = 2  # the two-subtype model is fitted up to this many classes
    min_answers: int = 2  # items with fewer answers (and no gold) do not fit the estimates
    reviewer_share: float = 0.25  # the reviewer is modelled on workers giving this share ...
    reviewer_strength: float = 30.0  # ... leaning on this many always-right answers per class


SETTINGS = BayesSettings()
CROWD_PRIOR_ACCURACY = 0.7
CROWD_PRIOR_STRENGTH = 10.0


def one_coin_mean(counts: FloatArray, accuracy_strength: float) -> FloatArray:
    """Per worker, the one-coin matrix the prior is centred on, from soft counts
    ``[w, answer, true]``; each column (true class) sums to 1 over the answers."""
    workers, classes = counts.shape[0], counts.shape[1]
    if classes == 1:
        return np.ones_like(counts)
    eye = np.eye(classes)
    errors = (counts.sum(axis=0) + 1.0) * (1 - eye)  # the crowd's mistakes [answer, true]
    errors /= errors.sum(axis=0)
    flat = counts.reshape(workers, classes * classes)
    answered = flat @ np.ones(classes * classes)  # matrix products: numpy's sums over short
    correct = flat[:, :: classes + 1] @ np.ones(classes)  # axes are several times slower
    # The crowd's accuracy leans on Ground Truth's prior worker accuracy (0.7) by a few
    # pseudo-answers: without it a job of one or two items has nothing to tell a worker from a
    # coin and EM slides to 50/50. It also keeps the accuracy inside (0, 1).
    crowd = float(
        (correct.sum() + CROWD_PRIOR_STRENGTH * CROWD_PRIOR_ACCURACY)
        / (answered.sum() + CROWD_PRIOR_STRENGTH)
    )
    accuracy = (correct + accuracy_strength * crowd) / (answered + accuracy_strength)
    mean: FloatArray = accuracy[:, None, None] * eye + (1 - accuracy)[:, None, None] * errors
    return mean


def _map_alpha(counts: FloatArray, s: BayesSettings) -> tuple[FloatArray, FloatArray]:
    """The Dirichlet posterior ``[w, answer, true]`` of every confusion row and its column
    totals ``[w, true]`` (the prior mean's columns sum to 1, so no sum is needed)."""
    per_class = np.einsum("wat->wt", counts)
    weight = _row_strength(s, counts.shape[1]) + s.one_coin_share * per_class
    alpha = counts + weight[:, None, :] * one_coin_mean(counts, s.accuracy_strength)
    return alpha, per_class + weight


def _row_strength(s: BayesSettings, classes: int) -> float:
    """Prior pseudo-answers per confusion row: ``prior_strength`` for two classes, growing
    with the square root of the class count. A fixed strength spreads thinner over the K - 1
    wrong answers of a row as K grows, until one stray answer decides a cell (ms: 10 classes,
    about 7 answers per worker and row); a strength growing like K lets the prior drown real
    class-specific confusions (dog and web lose 0.5 and 1.2 points)."""
    return s.prior_strength * float((classes / 2) ** s.strength_growth)


def _map_confusion(answers: Answers, posterior: Float32Array, s: BayesSettings) -> FloatArray:
    """Per worker ``[true, answer]``: the posterior mean of each confusion row."""
    alpha, totals = _map_alpha(_counts(answers, posterior), s)
    rows: FloatArray = (alpha / totals[:, None, :]).transpose(0, 2, 1)
    return np.ascontiguousarray(rows)


def _counts(answers: Answers, posterior: Float32Array) -> FloatArray:
    """Soft counts ``[w, answer, true]``."""
    counts = answers.answer_counts(posterior).astype(np.float64)
    return counts.reshape(answers.n_workers, answers.n_classes, answers.n_classes)


def _fit_one_subtype(
    answers: Answers, start: FloatArray, gold: tuple[IntArray, IntArray], s: BayesSettings
) -> tuple[Float32Array, int]:
    """Maximum a posteriori EM (posterior-mean M-step) of the one-subtype model."""

    def em_step(posterior: Float32Array) -> Float32Array:
        return clamp_gold(_em_step(answers, posterior, s), *gold)

    return fixed_point(em_step, start.astype(np.float32), s.tolerance, s.max_iterations)


def _em_step(
    answers: Answers, posterior: Float32Array, s: BayesSettings, target: Answers | None = None
) -> Float32Array:
    """Estimates from ``posterior`` (M-step), then new posteriors (E-step) for every item of
    ``target`` (by default the same answers)."""
    alpha, totals = _map_alpha(_counts(answers, posterior), s)
    log_confusion = np.log(alpha) - np.log(totals)[:, None, :]
    target = answers if target is None else target
    log_post = target.item_totals(log_confusion.reshape(-1, answers.n_classes))
    prior = column_sums(posterior) + s.class_concentration
    return softmax_rows(log_post, np.log(prior / prior.sum()).astype(np.float32))


def bayes_ds(
    answers: Answers,
    gold: Mapping[int, int] | None = None,
    seed: int = 0,
    *,
    settings: BayesSettings = SETTINGS,
) -> Result:
    """Bayesian Dawid-Skene with one-coin shrinkage and evidence-selected item subtypes.

    Deterministic: ``seed`` only breaks exact ties between classes. The confidence is the
    probability that a reviewer agrees with the label (``reviewer``): without gold the reviewer
    is modelled on the crowd's most accurate workers, with gold it is measured on the gold items.

    >>> from truthset.consolidation.answers import encode_answers
    >>> a = encode_answers([1, 1, 1, 2, 2, 2], list("xyzxyz"), list("aabbbb"))
    >>> bayes_ds(a).label.tolist()
    [0, 1]
    """
    gold_pair = gold_arrays(answers, gold)
    fit_on, kept = _informative(answers, gold_pair, settings.min_answers)
    fit_gold = (np.searchsorted(kept, gold_pair[0]), gold_pair[1])
    shares = _vote_shares(fit_on, fit_gold)
    starts = [(_winners(shares), shares)]
    if len(fit_gold[0]):
        seeded = _gold_start(fit_on, fit_gold, settings)
        starts.append((seeded, seeded))
    # Item subtypes only for two classes: a "confusing" item of one class among several can be
    # confused with any of the others, and one confusing subtype per class cannot say which.
    subtypes = fit_on.n_classes <= settings.subtype_classes
    compare = subtypes or len(starts) > 1
    candidates = [
        candidate
        for hard, soft in starts
        for candidate in _candidates(fit_on, hard, soft, fit_gold, settings, subtypes, compare)
    ]
    best = max(candidates, key=lambda candidate: candidate.elbo)
    posterior = best.predict(answers, gold_pair)
    reviewer = _reviewer(answers, fit_on, kept, gold_pair, best, posterior, settings)
    rng = np.random.default_rng(seed)
    return build_result(
        "bayes-ds", answers, posterior, best.confusion, gold_pair, rng, best.iterations, reviewer
    )


def _reviewer(
    answers: Answers,
    fit_on: Answers,
    kept: IntArray,
    gold: tuple[IntArray, IntArray],
    best: _Candidate,
    posterior: FloatArray,
    s: BayesSettings,
) -> FloatArray:
    """The reviewer's confusion matrix: modelled on the crowd's most accurate workers, then
    measured on the gold items if there are any (``reviewer`` module)."""
    prior = column_sums(posterior) + s.class_concentration
    shares = prior / prior.sum()
    reviewer = crowd_reviewer(
        fit_on, posterior[kept], best.confusion, shares, s.reviewer_share, s.reviewer_strength
    )
    if not len(gold[0]):
        return reviewer
    unclamped = best.predict(answers, (gold[0][:0], gold[1][:0]))
    return gold_reviewer(unclamped[gold[0]], gold[1], reviewer, s.reviewer_strength)


def _informative(
    answers: Answers, gold: tuple[IntArray, IntArray], min_answers: int
) -> tuple[Answers, IntArray]:
    """The answers on items that tell something about a worker's skill: items with at least
    ``min_answers`` answers, and gold items. An answer nobody else gave to that item can only
    agree with itself; counted as evidence it lets the class prior overrule a worker who mostly
    answers alone. (adult: one worker answered 21 items alone, 15 of them gold, and agrees with
    gold on 14 of those; fitted on every item the model overruled them on 12, fitted without
    those items on 8.) Such items are labelled from the fitted estimates but do not fit them.

    Returns those answers (items renumbered, workers and classes kept) and the kept items."""
    keep = answers.answers_per_item >= min_answers
    keep[gold[0]] = True
    kept = np.flatnonzero(keep)
    if len(kept) == answers.n_items:
        return answers, kept
    number = np.cumsum(keep) - 1
    on_kept = keep[answers.item]
    subset = Answers(
        number[answers.item[on_kept]],
        answers.worker[on_kept],
        answers.label[on_kept],
        tuple(kept.tolist()),
        answers.worker_ids,
        answers.label_ids,
    )
    return subset, kept


Predict = Callable[[Answers, tuple[IntArray, IntArray]], FloatArray]


@dataclass(frozen=True)
class _Candidate:
    confusion: FloatArray  # per worker [true, answer]
    iterations: int
    elbo: float
    predict: Predict  # posteriors [item, class] of any answers, from the fitted estimates


def _candidates(
    answers: Answers,
    hard: FloatArray,
    soft: FloatArray,
    gold: tuple[IntArray, IntArray],
    s: BayesSettings,
    subtypes: bool,
    compare: bool,
) -> list[_Candidate]:
    """The one-subtype fit from ``hard`` and, with ``subtypes``, the two-subtype fit from
    ``soft``; to ``compare`` them, each with its evidence lower bound under the same
    (two-subtype family's) prior."""
    prior = _subtype_prior(s)
    one, one_steps = _fit_one_subtype(answers, hard, gold, s)

    def predict_one(target: Answers, target_gold: tuple[IntArray, IntArray]) -> FloatArray:
        return clamp_gold(_em_step(answers, one, s, target).astype(np.float64), *target_gold)

    # The MAP fit's responsibilities are not the optimum of the bound under the shared prior; a
    # few variational steps from them raise it (they never lower it), so both families are
    # compared at their best instead of one at its best and the other where MAP left it.
    elbo = 0.0
    if compare:
        tightened, _ = fit_subtypes(
            answers, one[:, None, :], gold, prior, s.max_iterations, s.evidence_tolerance
        )
        elbo = tightened.elbo()
    found = [_Candidate(_map_confusion(answers, one, s), one_steps, elbo, predict_one)]
    if subtypes:
        two, two_steps = fit_subtypes(
            answers, clear_and_confusing(soft), gold, prior, s.max_iterations, s.subtype_tolerance
        )

        def predict_two(target: Answers, target_gold: tuple[IntArray, IntArray]) -> FloatArray:
            joint = e_step(target, two, target_gold).astype(np.float64)
            summed: FloatArray = joint.sum(axis=1)
            return summed

        found.append(_Candidate(two.class_confusion(), two_steps, two.elbo(), predict_two))
    return found


def _gold_start(answers: Answers, gold: tuple[IntArray, IntArray], s: BayesSettings) -> FloatArray:
    """Posteriors from worker estimates made on the gold items alone (workers who answered no
    gold item get the prior). With gold, EM also starts here: a majority that is consistently
    wrong is a local optimum a start from the majority vote cannot leave."""
    on_gold = clamp_gold(np.zeros((answers.n_items, answers.n_classes), np.float32), *gold)
    return clamp_gold(_em_step(answers, on_gold, s).astype(np.float64), *gold)


def _subtype_prior(s: BayesSettings) -> SubtypePrior:
    def mean(counts: FloatArray) -> FloatArray:
        return one_coin_mean(counts, s.accuracy_strength)

    return SubtypePrior(mean, s.subtype_strength, s.subtype_concentration, s.class_concentration)


def _vote_shares(answers: Answers, gold: tuple[IntArray, IntArray]) -> FloatArray:
    """Each item's share of votes per class (the class shares of all answers for an item
    nobody answered); gold items are one-hot."""
    votes = answers.votes
    totals = row_sums(votes)
    overall = column_sums(votes) + 1.0
    shares = np.tile(overall / overall.sum(), (answers.n_items, 1))
    answered = totals > 0
    shares[answered] = votes[answered] / totals[answered, None]
    return clamp_gold(shares, *gold)


def _winners(shares: FloatArray) -> FloatArray:
    """The majority as a posterior: 1 for the most voted class, split evenly between ties."""
    top = (shares >= row_max(shares)[:, None] - 1e-12).astype(np.float64)
    rows: FloatArray = top / row_sums(top)[:, None]
    return rows
