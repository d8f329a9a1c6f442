"""Multi-label classification: each answer is a set of classes (possibly empty).

As in Ground Truth, every class is consolidated on its own: each worker's answer becomes a
binary "chosen / not chosen" for that class and the binary model runs across workers, so a
worker's skill is estimated separately for every class. The label list of an item is the
classes at least one worker chose, each with the posterior that it applies.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from truthset.consolidation.answers import Answers, AnswersError, FloatArray, encode_answers
from truthset.consolidation.methods import method_named
from truthset.consolidation.result import Result

BINARY = ("no", "yes")


@dataclass(frozen=True, eq=False)
class MultiLabelResult:
    """``chosen[i, c]``: some worker picked class c for item i; ``confidence[i, c]``: the
    probability that class c applies to item i (that a reviewer would say so, see
    :class:`Result`). ``per_class[c]`` is that class's binary result
    (label index 1 = applies), with per-worker skill for that class."""

    item_ids: tuple[Hashable, ...]
    worker_ids: tuple[Hashable, ...]
    label_ids: tuple[Hashable, ...]
    chosen: NDArray[np.bool_]
    confidence: FloatArray
    per_class: tuple[Result, ...]

    def labels(self, item: int) -> list[int]:
        """Class indices in the label list of item index ``item``."""
        return [int(c) for c in np.flatnonzero(self.chosen[item])]

    def confidence_map(self, item: int) -> dict[Hashable, float]:
        """``{class id: confidence}`` over the label list of item index ``item``."""
        return {self.label_ids[c]: float(self.confidence[item, c]) for c in self.labels(item)}


def _first_answers(
    items: Sequence[Hashable], workers: Sequence[Hashable], sets: Sequence[Collection[Hashable]]
) -> tuple[list[Hashable], list[Hashable], list[Collection[Hashable]]]:
    """Keeps the first answer of each (item, worker) pair."""
    seen: set[tuple[Hashable, Hashable]] = set()
    kept: tuple[list[Hashable], list[Hashable], list[Collection[Hashable]]] = ([], [], [])
    for item, worker, chosen in zip(items, workers, sets, strict=True):
        if (item, worker) not in seen:
            seen.add((item, worker))
            kept[0].append(item)
            kept[1].append(worker)
            kept[2].append(chosen)
    return kept


def _class_order(
    sets: Iterable[Collection[Hashable]], classes: Sequence[Hashable] | None
) -> tuple[Hashable, ...]:
    order: dict[Hashable, None] = dict.fromkeys(classes or ())
    for chosen in sets:
        for label in chosen:
            if classes is not None and label not in order:
                raise AnswersError(f"label {label!r} is not one of the given labels")
            order.setdefault(label)
    return tuple(order)


def consolidate_multilabel(
    items: Sequence[Hashable],
    workers: Sequence[Hashable],
    label_sets: Sequence[Collection[Hashable]],
    *,
    classes: Sequence[Hashable] | None = None,
    method: str = "default",
    gold: Mapping[Hashable, Collection[Hashable]] | None = None,
    seed: int = 0,
) -> MultiLabelResult:
    """Consolidates multi-label answers, one binary problem per class.

    ``gold`` maps item id -> the set of classes that truly apply.

    >>> r = consolidate_multilabel([1, 1, 1], ["x", "y", "z"], [{"cat"}, {"cat", "dog"}, {"cat"}])
    >>> r.labels(0), r.label_ids
    ([0, 1], ('cat', 'dog'))
    """
    items, workers, label_sets = _first_answers(items, workers, label_sets)
    label_ids = _class_order(label_sets, classes)
    base = encode_answers(items, workers, [BINARY[0]] * len(items), classes=BINARY)
    chosen = np.zeros((base.n_items, len(label_ids)), dtype=bool)
    picks = np.zeros((base.n_answers, len(label_ids)), dtype=np.int64)
    column = {label: c for c, label in enumerate(label_ids)}
    for a, answer in enumerate(label_sets):
        for label in answer:
            picks[a, column[label]] = 1
    run = method_named(method)
    results = []
    for c in range(len(label_ids)):
        binary = Answers(
            base.item, base.worker, picks[:, c], base.item_ids, base.worker_ids, BINARY
        )
        chosen[:, c] = binary.votes[:, 1] > 0
        results.append(run(binary, _binary_gold(base, gold, label_ids[c]), seed))
    confidence = np.stack([r.review[:, 1] for r in results], axis=1) if results else chosen * 0.0
    return MultiLabelResult(
        base.item_ids, base.worker_ids, label_ids, chosen, confidence, tuple(results)
    )


def _binary_gold(
    base: Answers, gold: Mapping[Hashable, Collection[Hashable]] | None, label: Hashable
) -> dict[int, int] | None:
    if not gold:
        return None
    return {base.index_of("item", item): int(label in truth) for item, truth in gold.items()}
