"""COCO's uncompressed RLE as the exporter writes it decodes, through pycocotools, to the very
mask it was made from, whatever the mask."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as coco_mask

from truthset.exports.coco import run_lengths

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


@given(
    st.integers(1, 12).flatmap(
        lambda h: st.integers(1, 12).flatmap(lambda w: arrays(np.bool_, (h, w)))
    )
)
def test_run_lengths_round_trip_through_pycocotools(binary: np.ndarray) -> None:
    height, width = binary.shape
    counts = run_lengths(binary)
    assert sum(counts) == binary.size
    rle = coco_mask.frPyObjects({"size": [height, width], "counts": counts}, height, width)
    assert (coco_mask.decode(rle) == binary).all()
    assert int(coco_mask.area(rle)) == int(binary.sum())
