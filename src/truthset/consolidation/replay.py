"""Replaying a finished job's answers as if its objects had been dispatched adaptively.

Each object's answers arrive in a seeded random order, one at a time, as a job would collect
them: ``concurrency`` objects are open at once (workers take the first open objects, as the
dispatcher offers them), every open object gets its next answer per round, and the worker model
is re-estimated with ``bayes_ds`` whenever the answers collected have grown by ``refit_growth``
since the last fit (the background consolidation of a running job). The stopping rule only
ever sees answers already collected and a model fitted on them: nothing from the future.

The replay is how ``benchmarks/adaptive.py`` measures the rule on real crowd data and how
``truthset plan`` is checked; it cannot choose *which* worker answers next (the data fix that).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from truthset.consolidation.adaptive import (
    StoppingRule,
    WorkerModel,
    confidences,
    done,
    model_from_result,
    prior_model,
)
from truthset.consolidation.answers import Answers, IntArray
from truthset.consolidation.bayes_ds import bayes_ds
from truthset.consolidation.result import Result


@dataclass(frozen=True)
class ReplaySettings:
    concurrency_share: float = 0.1  # of the objects open at once ...
    min_concurrency: int = 50  # ... but at least this many
    first_fit: int = 100  # answers before the first re-estimation
    refit_growth: float = 1.3  # re-estimate when the answers have grown by this factor


@dataclass(frozen=True, eq=False)
class Replay:
    kept: np.ndarray  # bool per answer of the original data: collected or not
    result: Result  # bayes_ds on the collected answers
    fits: int

    @property
    def share(self) -> float:
        return float(self.kept.mean()) if len(self.kept) else 0.0


def answer_order(answers: Answers, seed: int) -> list[IntArray]:
    """Per object, the indices of its answers in a seeded random order."""
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(answers.n_answers)
    by_item = shuffled[np.argsort(answers.item[shuffled], kind="stable")]
    bounds = np.cumsum(answers.answers_per_item)[:-1]
    return list(np.split(by_item, bounds))


def subset(answers: Answers, keep: np.ndarray) -> Answers:
    """The kept answers, with every object, worker and class id kept (unseen workers get the
    prior in the fit, unanswered objects the class prior)."""
    return Answers(
        answers.item[keep],
        answers.worker[keep],
        answers.label[keep],
        answers.item_ids,
        answers.worker_ids,
        answers.label_ids,
    )


def replay(
    answers: Answers,
    rule: StoppingRule,
    seed: int = 0,
    settings: ReplaySettings = ReplaySettings(),
    gold: Mapping[int, int] | None = None,
) -> Replay:
    """Collects answers object by object under ``rule`` (``max_answers`` also caps at what the
    data hold); ``gold`` (item index -> label index) are the job's gold questions, if any."""
    order = answer_order(answers, seed)
    queue = list(np.random.default_rng(seed + 1).permutation(answers.n_items))
    concurrency = max(settings.min_concurrency, int(settings.concurrency_share * len(queue)))
    kept = np.zeros(answers.n_answers, dtype=bool)
    given = np.zeros(answers.n_items, dtype=np.int64)
    model: WorkerModel = prior_model(answers.label_ids)
    next_fit, fits, collected = settings.first_fit, 0, 0
    active: list[int] = []
    while queue or active:
        while queue and len(active) < concurrency:
            active.append(int(queue.pop()))
        for item in active:
            if given[item] < len(order[item]):
                kept[order[item][given[item]]] = True
                given[item] += 1
                collected += 1
        if collected >= next_fit:
            model = model_from_result(bayes_ds(subset(answers, kept), gold), rule)
            fits += 1
            next_fit = int(collected * settings.refit_growth) + 1
        active = _still_open(answers, model, rule, kept, given, order, active)
    return Replay(kept, bayes_ds(subset(answers, kept), gold), fits)


def _still_open(
    answers: Answers,
    model: WorkerModel,
    rule: StoppingRule,
    kept: np.ndarray,
    given: IntArray,
    order: list[IntArray],
    active: list[int],
) -> list[int]:
    """The active objects that need another answer (and the data still hold one)."""
    open_items = np.asarray(active, dtype=np.int64)
    answer_ids = np.concatenate([order[i][: given[i]] for i in active])
    local = np.repeat(np.arange(len(active)), given[open_items])
    # Models fitted here keep the data's worker numbering; the prior model has one row.
    rows = answers.worker[answer_ids] if model.worker_index else np.zeros_like(answer_ids)
    _, confidence = confidences(model, local, rows, answers.label[answer_ids], len(active), rule)
    finished = done(confidence, given[open_items], rule)
    exhausted = given[open_items] >= np.asarray([len(order[i]) for i in active])
    return [i for i, stop in zip(active, finished | exhausted, strict=True) if not stop]
