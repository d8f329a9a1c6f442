"""Answers as integer arrays: one row per (item, worker, label), with the id <-> index maps.

Every classification method works on :class:`Answers`; ids (object ids, worker ids, class names)
are any hashable values and are mapped to dense indices once, here.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
Float32Array = NDArray[np.float32]


class AnswersError(ValueError):
    """Answers or gold labels that cannot be consolidated (unknown label, index out of range)."""


@dataclass(frozen=True, eq=False)
class Answers:
    """Classification answers: ``item[a]`` answered ``label[a]`` by ``worker[a]`` for answer ``a``.

    Indices are dense (0..n-1). ``item_ids[i]`` is the caller's id of item ``i`` (likewise for
    workers and labels); items with no answers are allowed (their posterior is the class prior).

    >>> answers = encode_answers(["a", "a", "b"], ["w1", "w2", "w1"], ["cat", "dog", "cat"])
    >>> answers.n_items, answers.n_workers, answers.n_classes
    (2, 2, 2)
    """

    item: IntArray
    worker: IntArray
    label: IntArray
    item_ids: tuple[Hashable, ...]
    worker_ids: tuple[Hashable, ...]
    label_ids: tuple[Hashable, ...]

    def __post_init__(self) -> None:
        if not (len(self.item) == len(self.worker) == len(self.label)):
            raise AnswersError("item, worker and label arrays differ in length")
        for name, values, bound in (
            ("item", self.item, self.n_items),
            ("worker", self.worker, self.n_workers),
            ("label", self.label, self.n_classes),
        ):
            if len(values) and (values.min() < 0 or values.max() >= bound):
                raise AnswersError(f"{name} index out of range")

    @property
    def n_answers(self) -> int:
        return len(self.item)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_workers(self) -> int:
        return len(self.worker_ids)

    @property
    def n_classes(self) -> int:
        return len(self.label_ids)

    def index_of(self, kind: str, key: Hashable) -> int:
        """Index of an id; ``kind`` is "item", "worker" or "label"."""
        try:
            return self._indexes[kind][key]
        except KeyError:
            raise AnswersError(f"unknown {kind} {key!r}") from None

    @cached_property
    def _indexes(self) -> dict[str, dict[Hashable, int]]:
        ids = {"item": self.item_ids, "worker": self.worker_ids, "label": self.label_ids}
        return {kind: {value: i for i, value in enumerate(v)} for kind, v in ids.items()}

    @cached_property
    def answers_per_worker(self) -> IntArray:
        return np.bincount(self.worker, minlength=self.n_workers).astype(np.int64)

    @cached_property
    def answers_per_item(self) -> IntArray:
        return np.bincount(self.item, minlength=self.n_items).astype(np.int64)

    @cached_property
    def votes(self) -> FloatArray:
        """(items, classes) answer counts."""
        flat = np.bincount(
            self.item * self.n_classes + self.label, minlength=self.n_items * self.n_classes
        )
        return flat.reshape(self.n_items, self.n_classes).astype(np.float64)

    @cached_property
    def incidence(self) -> sp.csr_matrix:
        """Sparse (workers*classes, items) matrix: row ``w*K + l`` marks the items that worker w
        answered with label l. Products with it replace every Python loop over answers.

        Single precision: the products are memory-bound, and float32 makes them 2-4x faster
        on a million answers; the small per-worker sums they feed are kept in float64."""
        rows = self.worker * self.n_classes + self.label
        data = np.ones(self.n_answers, dtype=np.float32)
        shape = (self.n_workers * self.n_classes, self.n_items)
        return sp.csr_matrix((data, (rows, self.item)), shape=shape)

    @cached_property
    def incidence_t(self) -> sp.csr_matrix:
        return self.incidence.T.tocsr()

    def answer_counts(self, posterior: FloatArray | Float32Array) -> Float32Array:
        """``(workers * classes, columns)``: row ``w * K + l`` sums the rows of ``posterior``
        (items x columns) over the items that worker w answered with label l."""
        return _product(self.incidence, self.incidence_t, posterior)

    def item_totals(self, per_answer: FloatArray | Float32Array) -> Float32Array:
        """``(items, columns)``: per item, the sum of row ``w * K + l`` of ``per_answer`` over
        its answers (w answered l). The transpose of :meth:`answer_counts`."""
        return _product(self.incidence_t, self.incidence, per_answer)

    def confusion_counts(self, posterior: FloatArray) -> FloatArray:
        """Soft counts ``[w, true, answered]`` given per-item class posteriors (items, C).

        ``posterior`` may have more columns than classes (C = K * subtypes); the result is then
        ``[w, C, answered]``.
        """
        columns = posterior.shape[1]
        counts = self.answer_counts(posterior)
        counts = counts.reshape(self.n_workers, self.n_classes, columns).transpose(0, 2, 1)
        return counts.astype(np.float64)

    def log_likelihood(self, log_confusion: FloatArray) -> Float32Array:
        """Per item and latent column, the sum over its answers of ``log_confusion[w, c, l]``
        (float32, items x columns)."""
        columns = log_confusion.shape[1]
        return self.item_totals(log_confusion.transpose(0, 2, 1).reshape(-1, columns))


def _product(
    matrix: sp.csr_matrix, transposed: sp.csr_matrix, dense: FloatArray | Float32Array
) -> Float32Array:
    """``matrix @ dense`` in float32, by whichever of scipy's kernels is fastest (measured on
    90,000 answers): its multi-column CSR kernel costs as much for 2 columns as for 8, so one or
    two columns go one at a time (1.8x faster), and more columns go through the CSC kernel of
    the transposed matrix (1.5x faster)."""
    values = dense.astype(np.float32, copy=False)
    if values.shape[1] > 2:
        return np.asarray(transposed.T @ values)
    columns = np.ascontiguousarray(values.T)
    return np.stack([matrix @ column for column in columns], axis=1)


def _dense(values: Iterable[Hashable], known: Sequence[Hashable] | None, kind: str) -> Any:
    """Dense codes for values, in first-seen order unless the full list is given.

    Built from C-level dict and map calls rather than a Python loop: encoding ids used to take
    longer than consolidating them (0.15 s for 90,000 answers)."""
    values = list(values)
    seen = dict.fromkeys(values)  # the distinct values, in first-seen order
    if known is None:
        ids = tuple(seen)
    else:
        ids = tuple(dict.fromkeys(known))
        unknown = seen.keys() - set(ids)
        if unknown:
            first = next(value for value in seen if value in unknown)
            raise AnswersError(f"{kind} {first!r} is not one of the given {kind}s")
    index = {value: code for code, value in enumerate(ids)}
    codes = np.fromiter(map(index.__getitem__, values), np.int64, len(values))
    return codes, ids


def encode_answers(
    items: Iterable[Hashable],
    workers: Iterable[Hashable],
    labels: Iterable[Hashable],
    *,
    classes: Sequence[Hashable] | None = None,
    all_items: Sequence[Hashable] | None = None,
) -> Answers:
    """Encodes parallel sequences of item ids, worker ids and labels.

    ``classes`` fixes the label order and may name classes nobody chose; ``all_items`` does the
    same for items. Otherwise ids are numbered in first-seen order.

    >>> a = encode_answers([1, 1], ["x", "y"], ["no", "yes"], classes=["yes", "no", "maybe"])
    >>> a.label.tolist(), a.label_ids
    ([1, 0], ('yes', 'no', 'maybe'))
    """
    item, item_ids = _dense(items, all_items, "item")
    worker, worker_ids = _dense(workers, None, "worker")
    label, label_ids = _dense(labels, classes, "label")
    if not (len(item) == len(worker) == len(label)):
        raise AnswersError("items, workers and labels differ in length")
    return Answers(item, worker, label, item_ids, worker_ids, label_ids)


def encode_gold(answers: Answers, gold: Mapping[Any, Hashable]) -> dict[int, int]:
    """Maps gold given by ids (item id -> label id) to indices, for ``consolidate(gold=...)``."""
    return {answers.index_of("item", i): answers.index_of("label", g) for i, g in gold.items()}


def gold_arrays(answers: Answers, gold: Mapping[int, int] | None) -> tuple[IntArray, IntArray]:
    """Gold as (item indices, label indices), checked against the answers' ranges."""
    if not gold:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    items = np.fromiter(gold.keys(), np.int64, len(gold))
    labels = np.fromiter(gold.values(), np.int64, len(gold))
    if items.min() < 0 or items.max() >= answers.n_items:
        raise AnswersError("gold item index out of range")
    if labels.min() < 0 or labels.max() >= answers.n_classes:
        raise AnswersError("gold label index out of range")
    return items, labels
