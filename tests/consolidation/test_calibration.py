"""Expected calibration error and reliability bins."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from truthset.consolidation import expected_calibration_error, reliability


def test_ece_of_hand_made_bins() -> None:
    # Bin 0.9-1.0: confidence 0.9, accuracy 0.8; bin 0.5-0.6: confidence 0.5, accuracy 0.5.
    conf = [0.9] * 5 + [0.5] * 2
    hits = [1, 1, 1, 1, 0, 1, 0]
    assert expected_calibration_error(conf, hits) == pytest.approx(5 / 7 * 0.1)
    table = reliability(conf, hits)
    assert table.count.tolist() == [0, 0, 0, 0, 0, 2, 0, 0, 0, 5]
    assert table.accuracy[9] == pytest.approx(0.8)
    assert math.isnan(table.confidence[0])


def test_confidence_one_goes_in_the_last_bin_and_empty_input_is_nan() -> None:
    assert reliability([1.0], [1]).count[9] == 1
    assert expected_calibration_error([1.0, 1.0], [1, 1]) == 0.0
    assert math.isnan(expected_calibration_error([], []))
    with pytest.raises(ValueError):
        reliability([0.5], [1, 0])


@given(st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=50))
def test_ece_is_between_zero_and_one(pairs: list[tuple[float, bool]]) -> None:
    conf, hits = zip(*pairs, strict=True)
    ece = expected_calibration_error(conf, hits)
    assert 0.0 <= ece <= 1.0
    assert reliability(conf, hits).count.sum() == len(pairs)
    np.testing.assert_allclose(
        expected_calibration_error(np.array(conf), np.array(hits, dtype=float)), ece
    )
