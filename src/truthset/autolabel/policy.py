"""The automated-labeling loop as a pure, resumable decision: state in, next step out.

The job runtime keeps the state (which objects were handed to humans, their consolidated labels,
which objects form the validation set, the machine labels so far) and calls :func:`decide` when
it changes. Each call returns one :class:`Decision`:

1. ``probe``: a small random batch to humans (Ground Truth's first 10 objects);
2. ``training``: random batches to humans until there are enough labels to train on;
3. ``validation``: a random validation set to humans (20% of the objects below 5,000, 10% above,
   never fewer than ``min_validation_objects``);
4. ``iteration``: train, choose the threshold on the validation set, machine-label the unlabeled
   objects at or above it and send the least certain of the rest to humans;
5. ``wait`` (human labels are outstanding), ``all_human`` (no model possible: the job stays
   all-human, see ``reason``) or ``done`` (every object is labeled or with humans).

Random batches follow one seeded permutation of the object ids, so a restarted job makes the same
choices. At most ``batch_size`` objects (Ground Truth's ``MaxConcurrentTaskCount``) are with
humans at once.
"""

from __future__ import annotations

import numpy as np

from truthset.autolabel.iteration import run_iteration
from truthset.autolabel.model import IntArray
from truthset.autolabel.state import (
    AutoLabelSettings,
    Decision,
    HumanLabel,
    LoopState,
    Step,
)


def decide(state: LoopState, settings: AutoLabelSettings | None = None) -> Decision:
    """The next step of the loop for ``state``; pure and deterministic.

    >>> import numpy as np
    >>> from truthset.autolabel.features import Features
    >>> state = LoopState(Features("demo", np.zeros((50, 2), np.float32)), 3, {}, set(), set(), {})
    >>> decide(state).step, decide(state).reason
    ('all_human', '50 objects: automated labeling needs at least 200')
    """
    settings = settings or AutoLabelSettings()
    refusal = refuse(state, settings)
    if refusal:
        return Decision("all_human", refusal, to_humans=tuple(int(i) for i in pending_ids(state)))
    return Loop(state, settings).next_step()


def refuse(state: LoopState, settings: AutoLabelSettings) -> str:
    """Why no model can ever be trained for this job, or '' when one can."""
    n = state.n_objects
    if state.n_classes < 2:
        return f"the label set has {state.n_classes} label(s): a model needs at least 2"
    if n < settings.min_objects:
        return f"{n} objects: automated labeling needs at least {settings.min_objects}"
    needed = settings.labels_before_training(n, state.n_classes)
    if needed >= n:
        return f"{n} objects: training and validation alone need {needed} human labels"
    return ""


def pending_ids(state: LoopState) -> IntArray:
    """Objects neither handed to humans nor machine-labeled, ascending."""
    mask = np.ones(state.n_objects, dtype=bool)
    mask[list(state.released)] = False
    mask[list(state.machine_labels)] = False
    return np.flatnonzero(mask).astype(np.int64)


class Loop:
    """One call's view of the state; :meth:`next_step` picks the phase."""

    def __init__(self, state: LoopState, settings: AutoLabelSettings) -> None:
        self.state = state
        self.settings = settings
        finished = set(state.human_labels) | set(state.failed)
        self.outstanding = {i for i in state.released if i not in finished}
        self.room = settings.batch_size - len(self.outstanding)
        self.pending = pending_ids(state)
        live = set(state.released) - set(state.failed)
        self.validation_live = live & set(state.validation)
        self.training_live = live - set(state.validation)

    def next_step(self) -> Decision:
        s, state = self.settings, self.state
        if len(self.pending) == 0:
            return Decision("done", "every object is labeled or with humans")
        if len(state.released) < s.probe_size:
            return self.random_batch("probe", s.probe_size - len(state.released))
        validation_size = s.validation_size(state.n_objects)
        # Cross-fitting trains on the validation labels too: random training labels are only
        # needed beyond what the validation set will give.
        counted = len(self.training_live) + (validation_size if s.cross_fit else 0)
        wanted = s.training_size(state.n_classes) - counted
        if wanted > 0:
            return self.random_batch("training", wanted)
        wanted = validation_size - len(self.validation_live)
        if wanted > 0:
            return self.random_batch("validation", wanted)
        waiting = self.waiting_for()
        if waiting:
            return Decision("wait", waiting)
        labels = self.training_labels()
        if len({label.label for label in labels.values()}) < 2:
            return Decision(
                "all_human",
                "every human label so far is the same label: no model can tell labels apart",
                to_humans=tuple(int(i) for i in self.pending),
            )
        return run_iteration(state, s, labels, self.pending, self.room)

    def random_batch(self, step: Step, wanted: int) -> Decision:
        count = min(wanted, self.room)
        if count <= 0:
            return Decision("wait", f"{len(self.outstanding)} objects are with humans (the most)")
        order = np.random.default_rng(self.settings.seed).permutation(self.state.n_objects)
        is_pending = np.zeros(self.state.n_objects, dtype=bool)
        is_pending[self.pending] = True
        chosen = tuple(int(i) for i in order[is_pending[order]][:count])
        reason = f"{len(chosen)} random objects to humans for {step}"
        return Decision(
            step, reason, to_humans=chosen, validation=chosen if step == "validation" else ()
        )

    def waiting_for(self) -> str:
        """Why training must wait, or '' when it may run now."""
        validation_open = len(self.validation_live & self.outstanding)
        if validation_open:
            return f"waiting for {validation_open} validation labels"
        training_open = len(self.training_live & self.outstanding)
        last = self.state.last
        if last is None:
            if training_open:
                return f"waiting for {training_open} training labels"
            return ""
        fresh = len(self.state.human_labels) - last.human_labeled_total
        enough = self.settings.retrain_after or self.settings.batch_size
        if self.outstanding and fresh < enough:
            return (
                f"{fresh} new human labels since iteration {last.iteration}; retraining at {enough}"
            )
        return ""

    def training_labels(self) -> dict[int, HumanLabel]:
        labels = self.state.human_labels
        if self.settings.cross_fit:
            return dict(labels)
        return {i: h for i, h in labels.items() if i not in self.state.validation}
