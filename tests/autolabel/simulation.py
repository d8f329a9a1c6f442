"""Generated jobs for the autolabel tests: Gaussian blobs and an in-process loop driver."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from truthset.autolabel import (
    AutoLabelSettings,
    Decision,
    Features,
    HumanLabel,
    IterationRecord,
    LoopState,
    MachineLabel,
    decide,
)


def blobs(n: int, n_classes: int, separation: float, seed: int) -> tuple[Features, np.ndarray]:
    """``n`` points in 8 dimensions around ``n_classes`` centres ``separation`` apart."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n)
    centres = rng.normal(size=(n_classes, 8))
    centres *= separation / np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = (centres[truth] + rng.normal(size=(n, 8))).astype(np.float32)
    return Features("blobs", vectors), truth


@dataclass
class Job:
    """The state a job runtime keeps, updated the way the runtime would."""

    features: Features
    n_classes: int
    human: dict[int, HumanLabel] = field(default_factory=dict)
    machine: dict[int, MachineLabel] = field(default_factory=dict)
    released: set[int] = field(default_factory=set)
    validation: set[int] = field(default_factory=set)
    records: list[IterationRecord] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    def state(self) -> LoopState:
        return LoopState(
            self.features, self.n_classes, dict(self.human), set(self.released),
            set(self.validation), dict(self.machine),
            last=self.records[-1] if self.records else None,
        )  # fmt: skip

    def apply(self, decision: Decision) -> None:
        self.decisions.append(decision)
        self.released.update(decision.to_humans)
        self.validation.update(decision.validation)
        self.machine.update(decision.machine_labels)
        if decision.record:
            self.records.append(decision.record)


def run(job: Job, truth: np.ndarray, settings: AutoLabelSettings, limit: int = 200) -> Job:
    """Drive the loop to the end; humans answer with the true label at once."""
    for _ in range(limit):
        decision = decide(job.state(), settings)
        if decision.step in ("done", "wait"):
            job.decisions.append(decision)
            return job
        job.apply(decision)
        job.human.update({i: HumanLabel(int(truth[i])) for i in decision.to_humans})
        if decision.step == "all_human":
            return job
    raise AssertionError("the loop did not finish")
