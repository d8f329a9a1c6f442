"""One iteration of the loop: train, choose the threshold, machine-label, pick the next batch."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from truthset.autolabel.model import FloatArray, IntArray, Training, train_model
from truthset.autolabel.state import (
    AutoLabelSettings,
    Decision,
    HumanLabel,
    IterationRecord,
    LoopState,
    MachineLabel,
)
from truthset.autolabel.threshold import ThresholdChoice, choose_threshold


def run_iteration(
    state: LoopState,
    settings: AutoLabelSettings,
    labels: Mapping[int, HumanLabel],
    pending: IntArray,
    room: int,
) -> Decision:
    """Train on ``labels``, machine-label ``pending`` objects above the threshold and send up
    to ``room`` of the least certain others to humans."""
    train_ids = np.array(sorted(labels), dtype=np.int64)
    training = train(state, settings, labels, train_ids)
    choice, accuracy, validation_size, used = validate(state, settings, training, train_ids)
    probabilities = training.model.probabilities(state.features.vectors[pending])
    above = (
        probabilities.max(axis=1) >= choice.threshold
        if choice.threshold is not None
        else np.zeros(len(pending), dtype=bool)
    )
    machine = {
        int(i): MachineLabel(int(p.argmax()), float(p.max()))
        for i, p in zip(pending[above], probabilities[above], strict=True)
    }
    ranked = rank_by_uncertainty(pending[~above], probabilities[~above])
    to_humans = tuple(int(i) for i in ranked[: max(room, 0)])
    record = IterationRecord(
        iteration=(state.last.iteration + 1) if state.last else 1,
        feature_extractor=state.features.extractor,
        training_size=len(train_ids),
        validation_size=validation_size,
        validation_used=used,
        validation_accuracy=accuracy,
        threshold=choice.threshold,
        threshold_accuracy=choice.accuracy,
        lower_bound=choice.lower_bound,
        validation_covered=choice.covered,
        target_accuracy=settings.target_accuracy,
        machine_labeled=len(machine),
        sent_to_humans=len(to_humans),
        machine_labeled_total=len(state.machine_labels) + len(machine),
        human_labeled_total=len(state.human_labels),
        remaining=len(pending) - len(machine) - len(to_humans),
        warm_started=training.warm_started,
        reason=iteration_reason(choice, settings, len(machine)),
    )
    return Decision(
        "iteration", record.reason, to_humans=to_humans, machine_labels=machine,
        record=record, model=training.model,
    )  # fmt: skip


def train(
    state: LoopState,
    settings: AutoLabelSettings,
    labels: Mapping[int, HumanLabel],
    train_ids: IntArray,
) -> Training:
    vectors = state.features.vectors
    y, w = label_arrays(train_ids, labels, settings.weight_by_confidence)
    return train_model(
        vectors[train_ids], y, state.n_classes, state.features.extractor,
        weights=w, seed=settings.seed, folds=settings.folds,
        regularization=settings.regularization, scale_from=vectors,
        previous=state.initial_model,
    )  # fmt: skip


def validate(
    state: LoopState, settings: AutoLabelSettings, training: Training, train_ids: IntArray
) -> tuple[ThresholdChoice, float, int, int]:
    """The threshold choice, the model's accuracy on the whole validation set, the set's size
    and how many of its objects the rule used.

    Validation objects whose human label confidence is at or below
    ``validation_confidence_floor`` are left out: their human label is no likelier right than
    wrong, so comparing the model with it measures the workers, not the model.
    """
    ids = np.array(sorted(i for i in state.validation if i in state.human_labels), dtype=np.int64)
    if settings.cross_fit:
        probabilities = training.out_of_fold[np.searchsorted(train_ids, ids)]
    else:
        probabilities = training.model.probabilities(state.features.vectors[ids])
    y, weight = label_arrays(ids, state.human_labels, settings.weight_by_confidence)
    confidence = np.array([state.human_labels[int(i)].confidence for i in ids])
    weight = np.where(confidence > settings.validation_confidence_floor, weight, 0.0)
    correct = probabilities.argmax(axis=1) == y if len(ids) else np.zeros(0, dtype=bool)
    choice = choose_threshold(
        probabilities.max(axis=1) if len(ids) else np.zeros(0),
        correct,
        settings.target_accuracy,
        settings.bound_level,
        weight,
    )
    accuracy = float(np.average(correct, weights=weight)) if weight.sum() > 0 else 0.0
    return choice, accuracy, len(ids), int(np.count_nonzero(weight > 0))


def rank_by_uncertainty(ids: IntArray, probabilities: FloatArray) -> IntArray:
    """``ids`` ordered least certain first (lowest top probability; ties by id).

    >>> rank_by_uncertainty(np.array([7, 8, 9]), np.array([[0.9, 0.1], [0.5, 0.5], [0.6, 0.4]]))
    array([8, 9, 7])
    """
    confidence = probabilities.max(axis=1) if len(ids) else np.zeros(0)
    return np.asarray(ids[np.lexsort((ids, confidence))], dtype=np.int64)


def iteration_reason(choice: ThresholdChoice, settings: AutoLabelSettings, machine: int) -> str:
    level = f"{settings.bound_level:.0%}"
    if choice.threshold is None:
        return (
            f"no threshold reaches the target: the best {level} lower bound of validation "
            f"accuracy is {choice.lower_bound:.3f} < {settings.target_accuracy}; "
            "nothing machine-labeled"
        )
    return (
        f"threshold {choice.threshold:.4f}: {level} lower bound of validation accuracy "
        f"{choice.lower_bound:.3f} >= {settings.target_accuracy} on {choice.covered} "
        f"validation objects; {machine} objects machine-labeled"
    )


def label_arrays(
    ids: IntArray, labels: Mapping[int, HumanLabel], weighted: bool
) -> tuple[IntArray, FloatArray]:
    """Label indices and weights (confidences clipped to [0, 1], or ones) for ``ids``."""
    y = np.array([labels[int(i)].label for i in ids], dtype=np.int64)
    if not weighted:
        return y, np.ones(len(ids))
    w = np.array([labels[int(i)].confidence for i in ids], dtype=np.float64)
    return y, np.clip(w, 0.0, 1.0)
