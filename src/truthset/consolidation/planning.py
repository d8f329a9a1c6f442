"""Planning before spending: how many answers a job needs for a target accuracy.

From a pilot (a job's answers so far, or any answers with gold), ``bayes_ds`` gives each
worker's confusion matrix, the class shares and how often each worker answers. Objects are then
simulated: a true class drawn from the class shares, workers drawn as often as they answered,
their answers drawn from their confusion matrices. With a fixed number N of workers per object
the accuracy is that of the model's label after N answers; with adaptive workers per object
each simulated object goes through the stopping rule (``adaptive``) and the expected number of
answers is what the rule used. The plan picks the smallest fixed N, and the adaptive target
confidence with the fewest expected answers, that reach the target accuracy in simulation.

Adaptive answer counts are simulated from clumped answers (the stopping rule's Polya urn), as
real answers come; accuracies from independent answers (``simulate``).

The simulation trusts the pilot's model (a worker is as good as estimated); ``truthset plan``
says so beside its figures.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from truthset.consolidation.adaptive import StoppingRule, confidences, done, model_from_result
from truthset.consolidation.answers import FloatArray, IntArray
from truthset.consolidation.result import Result

SIMULATED = 4000
TARGETS = (0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995)


@dataclass(frozen=True)
class Outcome:
    answers_per_object: float
    accuracy: float


@dataclass(frozen=True)
class Plan:
    target_accuracy: float
    fixed_n: int | None  # None: no N up to the maximum reaches the target
    fixed: Outcome
    adaptive_target: float | None  # the stopping rule's target confidence
    adaptive: Outcome


@dataclass(frozen=True)
class _Draws:
    truth: IntArray  # [object]
    workers: IntArray  # [object, slot]
    answers: IntArray  # [object, slot]


def _draw(result: Result, objects: int, slots: int, seed: int, urn: float = 0.0) -> _Draws:
    rng = np.random.default_rng(seed)
    shares = np.clip(result.class_prior, 1e-9, None)
    truth = rng.choice(len(shares), size=objects, p=shares / shares.sum())
    given = result.answers.answers_per_worker.astype(np.float64)
    workers = np.stack(
        [
            rng.choice(len(given), size=slots, replace=len(given) < slots, p=given / given.sum())
            for _ in range(objects)
        ]
    )
    rows = result.worker_confusion[workers, truth[:, None], :]  # [object, slot, answer]
    cumulative = rows.cumsum(axis=2)
    answers = (rng.random((objects, slots, 1)) > cumulative).sum(axis=2)
    answers = np.minimum(answers, rows.shape[2] - 1)
    if urn > 0:
        # Answers on one object as the stopping rule believes they come (a Polya urn): the
        # j-th repeats one of the earlier j answers with probability j / (urn + j).
        for j in range(1, slots):
            repeat = rng.random(objects) < j / (urn + j)
            earlier = answers[np.arange(objects), rng.integers(0, j, objects)]
            answers[:, j] = np.where(repeat, earlier, answers[:, j])
    return _Draws(truth, workers, answers)


def _judge(
    result: Result, draws: _Draws, answered: IntArray, rule: StoppingRule
) -> tuple[IntArray, FloatArray]:
    """Labels and confidences of every simulated object after its first ``answered`` answers."""
    model = model_from_result(result, rule)
    objects = len(draws.truth)
    slots = np.arange(draws.workers.shape[1])
    mask = slots[None, :] < answered[:, None]
    item = np.broadcast_to(np.arange(objects)[:, None], mask.shape)[mask]
    return confidences(model, item, draws.workers[mask], draws.answers[mask], objects, rule)


def simulate(
    result: Result, rule: StoppingRule, objects: int = SIMULATED, seed: int = 0
) -> Outcome:
    """Expected answers per object and accuracy under ``rule`` (a fixed N is a rule whose
    minimum and maximum are both N)."""
    answered, accuracy = _collect(result, rule, _draw(result, objects, rule.max_answers, seed))
    if rule.urn > 0 and rule.min_answers < rule.max_answers:
        # How many answers the rule asks for depends on how often an object's answers agree,
        # and real answers agree in clumps (a confusing object fools several workers): the
        # count is taken from objects drawn as the rule models them (its urn), which brought
        # it within 15% of the replay. The accuracy stays that of independent answers, as
        # fixed N's was measured (docs/adaptive.md): the urn as a model of the data
        # understates what answers are worth.
        clumped = _draw(result, objects, rule.max_answers, seed, rule.urn)
        answered = _collect(result, rule, clumped)[0]
    return Outcome(answered, accuracy)


def _collect(result: Result, rule: StoppingRule, draws: _Draws) -> tuple[float, float]:
    """The rule run on simulated objects: answers per object and accuracy."""
    objects = len(draws.truth)
    answered = np.full(objects, rule.min_answers, dtype=np.int64)
    label = np.zeros(objects, dtype=np.int64)
    open_ = np.ones(objects, dtype=bool)
    while open_.any():
        top, confidence = _judge(result, draws, answered, rule)
        finished = open_ & done(confidence, answered, rule)
        label[finished] = top[finished]
        open_ &= ~finished
        answered[open_] += 1
    # Accuracy as a reviewer (gold) would score it: even a right label is sometimes marked
    # wrong by a reviewer, and the model's own truth is no better than its reviewer.
    agree = result.reviewer_confusion[draws.truth, label]
    return float(answered.mean()), float(agree.mean())


def plan(
    result: Result,
    target_accuracy: float,
    max_answers: int = 5,
    min_answers: int = 2,
    objects: int = SIMULATED,
    seed: int = 0,
) -> Plan:
    """Fixed N against adaptive workers per object for ``target_accuracy``."""
    base = StoppingRule(min_answers=min(min_answers, max_answers), max_answers=max_answers)
    fixed_n, fixed = None, Outcome(float(max_answers), 0.0)
    for n in range(1, max_answers + 1):
        rule = dataclasses.replace(base, min_answers=n, max_answers=n)
        outcome = simulate(result, rule, objects, seed)
        fixed = outcome
        if outcome.accuracy >= target_accuracy:
            fixed_n = n
            break
    best_target, best = None, Outcome(float(max_answers), fixed.accuracy)
    for target in TARGETS:
        outcome = simulate(result, dataclasses.replace(base, target=target), objects, seed)
        if outcome.accuracy >= target_accuracy:
            best_target, best = target, outcome
            break  # targets rise: the first that reaches the accuracy asks the fewest answers
        best = outcome
    return Plan(target_accuracy, fixed_n, fixed, best_target, best)
