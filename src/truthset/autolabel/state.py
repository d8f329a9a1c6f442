"""The state the automated-labeling loop reads, the decisions it returns and its settings."""

from __future__ import annotations

import math
from collections.abc import Mapping, Set
from dataclasses import asdict, dataclass, field
from typing import Literal

from truthset.autolabel.features import Features
from truthset.autolabel.model import LabelModel

Step = Literal["probe", "training", "validation", "iteration", "wait", "all_human", "done"]
SMALL_JOB = 5_000


@dataclass(frozen=True)
class AutoLabelSettings:
    """How the loop behaves. Defaults follow Ground Truth where it documents a value.

    ``min_training_labels`` None means ``max(50, 10 * classes)``. ``retrain_after`` None means
    ``batch_size``: retrain once that many new human labels arrived, or when none are outstanding.
    ``cross_fit`` also trains on the validation labels, choosing the threshold on out-of-fold
    predictions; ``weight_by_confidence`` weights every human label by its confidence, both in
    training and in the validation accuracy. Validation objects whose label confidence is at or
    below ``validation_confidence_floor`` are left out of the threshold rule.
    """

    target_accuracy: float = 0.95
    bound_level: float = 0.95
    batch_size: int = 100
    probe_size: int = 10
    min_objects: int = 200
    min_training_labels: int | None = None
    min_validation_objects: int = 150
    cross_fit: bool = True
    weight_by_confidence: bool = True
    validation_confidence_floor: float = 0.5
    retrain_after: int | None = None
    folds: int = 5
    regularization: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not (0.0 < self.target_accuracy < 1.0 and 0.0 < self.bound_level < 1.0):
            raise ValueError("target_accuracy and bound_level must lie strictly between 0 and 1")
        if self.batch_size < 1 or self.probe_size < 1 or self.probe_size > self.batch_size:
            raise ValueError("need 1 <= probe_size <= batch_size")
        if self.min_validation_objects < 1 or self.folds < 2 or self.regularization <= 0:
            raise ValueError("min_validation_objects >= 1, folds >= 2, regularization > 0")

    def validation_size(self, n_objects: int) -> int:
        """Objects in the validation set for a job of ``n_objects``.

        >>> AutoLabelSettings().validation_size(1797), AutoLabelSettings().validation_size(20000)
        (360, 2000)
        """
        share = 0.2 if n_objects < SMALL_JOB else 0.1
        return max(math.ceil(share * n_objects), self.min_validation_objects)

    def labels_before_training(self, n_objects: int, n_classes: int) -> int:
        """Human labels the first iteration needs: training and validation (shared when
        cross-fitting)."""
        validation = self.validation_size(n_objects)
        training = self.training_size(n_classes)
        return max(training, validation) if self.cross_fit else training + validation

    def training_size(self, n_classes: int) -> int:
        if self.min_training_labels is not None:
            return self.min_training_labels
        return max(50, 10 * n_classes)


@dataclass(frozen=True)
class HumanLabel:
    """A consolidated human label (index into the label set) and its confidence in [0, 1]."""

    label: int
    confidence: float = 1.0


@dataclass(frozen=True)
class MachineLabel:
    """A label chosen by the model and the model's calibrated confidence in it."""

    label: int
    confidence: float


@dataclass(frozen=True, eq=False)
class LoopState:
    """Everything :func:`decide` needs; object ids are row numbers of ``features.vectors``.

    ``released`` holds every object ever handed to humans (labeled, outstanding or failed);
    ``failed`` those that finished without a human label. ``last`` is the latest iteration
    record, ``initial_model`` an earlier job's model to warm-start from.
    """

    features: Features
    n_classes: int
    human_labels: Mapping[int, HumanLabel]
    released: Set[int]
    validation: Set[int]
    machine_labels: Mapping[int, MachineLabel]
    failed: Set[int] = frozenset()
    last: IterationRecord | None = None
    initial_model: LabelModel | None = None

    @property
    def n_objects(self) -> int:
        return len(self.features.vectors)


@dataclass(frozen=True)
class IterationRecord:
    """What one iteration decided and why (written to ``activelearning/``, shown in the console).

    Accuracies are on the validation set against the human labels (weighted by label confidence
    when the setting says so) over the ``validation_used`` objects whose label confidence is
    above the floor; ``threshold`` is None when no threshold reached the target, and
    ``validation_covered`` counts the validation objects at or above it.
    """

    iteration: int
    feature_extractor: str
    training_size: int
    validation_size: int
    validation_used: int
    validation_accuracy: float
    threshold: float | None
    threshold_accuracy: float
    lower_bound: float
    validation_covered: int
    target_accuracy: float
    machine_labeled: int
    sent_to_humans: int
    machine_labeled_total: int
    human_labeled_total: int
    remaining: int
    warm_started: bool
    reason: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, eq=False)
class Decision:
    """The next step: objects to hand to humans (``validation`` marks those joining the
    validation set), machine labels to write, and for an iteration its record and model."""

    step: Step
    reason: str
    to_humans: tuple[int, ...] = ()
    validation: tuple[int, ...] = ()
    machine_labels: Mapping[int, MachineLabel] = field(default_factory=dict)
    record: IterationRecord | None = None
    model: LabelModel | None = None
