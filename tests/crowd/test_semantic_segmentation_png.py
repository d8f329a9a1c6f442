"""segmentation-png.js (the mask PNG encoder) and segmentation-mask.js's working grid, in Chromium.

Every encoded PNG is decoded by Pillow and must give back exactly the pixels that went in.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from playwright.sync_api import Page

from tests.crowd.test_image_viewport_support import CrowdPage

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

COLORS = [
    (0, 0, 0, 0),
    (31, 119, 180, 255),
    (255, 127, 14, 255),
    (44, 160, 44, 255),
    (9, 8, 7, 255),
]
ENCODE = """async ([width, height, data]) => {
  const { encodeRgbaPng, bytesToBase64 } = await import('/static/crowd/segmentation-png.js');
  const raw = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const pixels = new Uint32Array(raw.buffer);
  const png = encodeRgbaPng(width, height, (y, row) => row.set(pixels.subarray(y * width, (y + 1) * width)));
  return bytesToBase64(png);
}"""


@pytest.fixture
def blank(crowd_page: CrowdPage) -> Page:
    return crowd_page("<p>encoder tests</p>")


def round_trip(page: Page, pixels: np.ndarray) -> np.ndarray:
    height, width = pixels.shape[:2]
    data = base64.b64encode(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes()).decode()
    encoded = page.evaluate(ENCODE, [width, height, data])
    image = Image.open(io.BytesIO(base64.b64decode(encoded)))
    assert image.mode == "RGBA" and image.size == (width, height)
    return np.asarray(image)


rectangles = st.lists(
    st.tuples(
        st.integers(0, 80),
        st.integers(0, 50),
        st.integers(1, 80),
        st.integers(1, 50),
        st.integers(0, 4),
    ),
    max_size=8,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(1, 80), st.integers(1, 50), rectangles, st.integers(0, 40), st.randoms())
def test_masks_round_trip_exactly(
    blank: Page, width: int, height: int, rects: list[Any], speckles: int, rng: Any
) -> None:
    pixels = np.zeros((height, width, 4), dtype=np.uint8)
    for x, y, w, h, color in rects:
        pixels[y : y + h, x : x + w] = COLORS[color]
    for _ in range(speckles):  # single pixels break runs and rows
        pixels[rng.randrange(height), rng.randrange(width)] = COLORS[rng.randrange(len(COLORS))]
    assert (round_trip(blank, pixels) == pixels).all()


def test_wide_rows_without_row_matches_and_many_blocks(blank: Page) -> None:
    wide = np.zeros((3, 9000, 4), dtype=np.uint8)  # rows longer than deflate's 32 KiB window
    wide[:, 4000:6000] = COLORS[2]
    wide[1, ::7] = COLORS[1]
    assert (round_trip(blank, wide) == wide).all()
    noise = np.random.default_rng(7).integers(0, 256, (700, 700, 4), dtype=np.uint8)  # > 1M tokens
    assert (round_trip(blank, noise) == noise).all()


def test_an_empty_mask_is_small(blank: Page) -> None:
    size = blank.evaluate(
        """async () => {
          const { encodeRgbaPng } = await import('/static/crowd/segmentation-png.js');
          return encodeRgbaPng(3000, 2000, (y, row) => row.fill(0)).length;
        }"""
    )
    assert size < 40_000  # 24 MB of raw pixels


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(1, 40_000), st.integers(1, 40_000))
def test_the_working_grid_is_capped_and_keeps_the_shape(
    blank: Page, width: int, height: int
) -> None:
    grid = blank.evaluate(
        """async ([w, h]) => {
          const { workingSize, MAX_WORK_PIXELS } = await import('/static/crowd/segmentation-mask.js');
          return [workingSize(w, h), MAX_WORK_PIXELS];
        }""",
        [width, height],
    )
    size, cap = grid
    w, h = size["width"], size["height"]
    if width * height <= cap:
        assert (w, h) == (width, height)
        return
    assert w * h <= cap
    assert w * h >= cap - (w + h) - 1  # as large as the cap allows
    # One scale factor gives both sides (each rounded down): the shape is kept.
    low = max(w / width, h / height)
    high = min((w + 1) / width, (h + 1) / height)
    assert low < high or h == 1 or w == 1
