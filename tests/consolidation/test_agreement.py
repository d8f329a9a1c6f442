"""Krippendorff's alpha and per-worker agreement."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from truthset.consolidation import encode_answers, krippendorff_alpha, worker_agreement

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", example C: 4 observers,
# 12 units, nominal values 1-5 with missing data; the published nominal alpha is 0.743.
RELIABILITY_DATA = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def textbook_answers() -> tuple[list[int], list[str], list[int]]:
    items, workers, labels = [], [], []
    for worker, values in RELIABILITY_DATA.items():
        for unit, value in enumerate(values):
            if value is not None:
                items.append(unit)
                workers.append(worker)
                labels.append(value)
    return items, workers, labels


def test_alpha_on_the_textbook_example() -> None:
    assert round(krippendorff_alpha(encode_answers(*textbook_answers())), 3) == 0.743


def test_alpha_perfect_and_undefined() -> None:
    assert krippendorff_alpha(encode_answers([1, 1, 2, 2], list("xyxy"), list("aabb"))) == 1.0
    # Every answer the same class: no variation, alpha undefined.
    assert math.isnan(krippendorff_alpha(encode_answers([1, 1], list("xy"), list("aa"))))
    # Only single answers: nothing pairable.
    assert math.isnan(krippendorff_alpha(encode_answers([1, 2], list("xy"), list("ab"))))


def test_alpha_of_systematic_disagreement_is_negative() -> None:
    answers = encode_answers([1, 1, 2, 2], list("xyxy"), list("abba"))
    assert krippendorff_alpha(answers) < 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 2)),
        min_size=2,
        max_size=25,
        unique_by=lambda r: (r[0], r[1]),
    )
)
def test_alpha_ignores_order_and_is_at_most_one(rows: list[tuple[int, int, int]]) -> None:
    items, workers, labels = zip(*rows, strict=True)
    alpha = krippendorff_alpha(encode_answers(items, workers, labels))
    reversed_rows = list(reversed(rows))
    items2, workers2, labels2 = zip(*reversed_rows, strict=True)
    again = krippendorff_alpha(encode_answers(items2, workers2, labels2))
    assert (math.isnan(alpha) and math.isnan(again)) or math.isclose(alpha, again, abs_tol=1e-12)
    assert math.isnan(alpha) or alpha <= 1.0 + 1e-12


def test_worker_agreement_with_the_consolidated_label() -> None:
    answers = encode_answers([1, 1, 2, 2, 3], list("xyxyz"), list("abbbb"))
    labels = np.array([0, 1, 1])  # item 1 -> a, item 2 -> b, item 3 -> b
    np.testing.assert_allclose(worker_agreement(answers, labels), [1.0, 0.5, 1.0])
