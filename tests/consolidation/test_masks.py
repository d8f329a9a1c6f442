"""Semantic segmentation: per-pixel vote with smoothing, confidence, PNG encode/decode."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from truthset.consolidation.masks import (
    MaskError,
    consolidate_masks,
    decode_mask_png,
    encode_paletted_png,
)

COLORS = ["#ffffff", "#2acf59", "#f28333", "#1f77b4"]
RED, BLUE = (214, 39, 40), (31, 119, 180)


def masks_of(max_class: int) -> st.SearchStrategy[np.ndarray]:
    shape = st.tuples(st.integers(1, 12), st.integers(1, 12))
    return arrays(np.uint8, shape, elements=st.integers(0, max_class))


@settings(deadline=None)
@given(masks_of(3), st.integers(1, 5))
def test_identical_masks_come_back_unchanged_with_confidence_one(mask: np.ndarray, n: int) -> None:
    result = consolidate_masks([mask] * n)
    assert np.array_equal(result.mask, mask)
    assert result.confidence == 1.0


@settings(max_examples=50, deadline=None)
@given(
    st.lists(masks_of(3), min_size=1, max_size=4).filter(
        lambda ms: len({m.shape for m in ms}) == 1
    ),
    st.randoms(),
)
def test_order_of_workers_does_not_matter(masks: list[np.ndarray], random: object) -> None:
    shuffled = list(masks)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    first, second = consolidate_masks(masks), consolidate_masks(shuffled)
    assert np.array_equal(first.mask, second.mask) and first.confidence == second.confidence


def test_pixel_vote_takes_the_majority() -> None:
    a = np.array([[1, 1, 0], [2, 2, 0]], np.uint8)
    b = np.array([[1, 0, 0], [2, 2, 2]], np.uint8)
    c = np.array([[1, 1, 2], [2, 0, 0]], np.uint8)
    result = consolidate_masks([a, b, c])
    assert result.mask.tolist() == [[1, 1, 0], [2, 2, 0]]
    # Non-trivial pixels: all six; votes for the result: 3, 2, 2, 3, 2, 2.
    assert result.confidence == pytest.approx(14 / 18)


def test_a_tie_is_broken_by_the_neighbourhood() -> None:
    # Two workers disagree on the centre pixel only; its neighbours are class 1 for both.
    a = np.ones((3, 3), np.uint8)
    b = a.copy()
    b[1, 1] = 2
    assert consolidate_masks([a, b]).mask.tolist() == a.tolist()
    assert consolidate_masks([b, a]).mask.tolist() == a.tolist()


def test_a_bare_majority_speck_inside_a_unanimous_region_is_smoothed_away() -> None:
    region = np.ones((5, 5), np.uint8)
    speck = region.copy()
    speck[2, 2] = 3
    result = consolidate_masks([speck, speck, region])
    assert result.mask.tolist() == region.tolist()


def test_a_thin_line_two_of_three_workers_drew_survives() -> None:
    blank = np.zeros((7, 7), np.uint8)
    line = blank.copy()
    line[3, :] = 1
    assert consolidate_masks([line, line, blank]).mask.tolist() == line.tolist()


def test_a_unanimous_pixel_is_never_overturned() -> None:
    region = np.full((5, 5), 2, np.uint8)
    region[2, 2] = 1
    assert consolidate_masks([region] * 3).mask.tolist() == region.tolist()


def test_an_exact_tie_without_neighbours_goes_to_the_lower_class() -> None:
    result = consolidate_masks([np.array([[0]], np.uint8), np.array([[4]], np.uint8)])
    assert result.mask.tolist() == [[0]]
    assert result.confidence == 0.5


def test_all_background_has_confidence_one() -> None:
    empty = np.zeros((4, 4), np.uint8)
    assert consolidate_masks([empty, empty]).confidence == 1.0


def test_masks_of_different_sizes_are_refused_with_the_worker() -> None:
    with pytest.raises(
        MaskError, match=r"worker 1: mask is 3x2 \(width x height\) but worker 0's is 4x4"
    ):
        consolidate_masks([np.zeros((4, 4), np.uint8), np.zeros((2, 3), np.uint8)])


@pytest.mark.parametrize(
    "masks",
    [[], [np.zeros((2, 2, 3), np.uint8)], [np.zeros((2, 2), np.float32)], [np.full((2, 2), 300)]],
)
def test_unusable_masks_are_refused(masks: list[np.ndarray]) -> None:
    with pytest.raises(MaskError):
        consolidate_masks(masks)


def test_integer_masks_of_other_dtypes_are_accepted() -> None:
    mask = np.array([[0, 2], [1, 1]], dtype=np.int64)
    assert consolidate_masks([mask, mask]).mask.dtype == np.uint8


@settings(deadline=None)
@given(masks_of(3))
def test_png_round_trip_gives_the_same_indices(mask: np.ndarray) -> None:
    png = encode_paletted_png(mask, COLORS)
    assert np.array_equal(decode_mask_png(png, COLORS), mask)


def test_png_palette_has_white_background_and_white_unused_slots() -> None:
    png = encode_paletted_png(np.array([[0, 1, 2]], np.uint8), ["#000000", "#2acf59", "#F28333"])
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "P"
        assert np.asarray(image).tolist() == [[0, 1, 2]]
        palette = image.getpalette()
    assert palette is not None
    assert palette[:9] == [255, 255, 255, 42, 207, 89, 242, 131, 51]
    assert set(palette[9:]) <= {255}


def test_encoding_a_class_without_a_colour_is_refused() -> None:
    with pytest.raises(MaskError, match="class 2"):
        encode_paletted_png(np.array([[2]], np.uint8), ["#ffffff", "#2acf59"])


def rgba_png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), mode="RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def test_decode_of_an_anti_aliased_canvas_png() -> None:
    # A canvas answer: transparent background, a red and a blue region, soft edges.
    pixels = np.zeros((1, 8, 4), np.uint8)
    pixels[0, 0] = (0, 0, 0, 0)  # transparent
    pixels[0, 1] = (*RED, 60)  # faint edge: mostly transparent
    pixels[0, 2] = (*RED, 200)  # edge with alpha
    pixels[0, 3] = (*RED, 255)
    pixels[0, 4] = (200, 50, 60, 255)  # red blended a little towards blue
    pixels[0, 5] = (50, 110, 170, 255)  # mostly blue
    pixels[0, 6] = (*BLUE, 255)
    pixels[0, 7] = (0, 255, 0, 255)  # a colour no label has
    mappings = {"Car": {"color": "#1f77b4"}, "Person": {"color": "#d62728"}}
    result = decode_mask_png(rgba_png(pixels), mappings, labels=["Person", "Car"])
    assert result.tolist() == [[0, 0, 1, 1, 1, 2, 2, 0]]


def test_decode_uses_the_mapping_order_without_a_label_list() -> None:
    pixels = np.array([[(*RED, 255), (*BLUE, 255)]], np.uint8)
    mappings = {"Person": "#d62728", "Car": "#1f77b4"}
    assert decode_mask_png(rgba_png(pixels), mappings).tolist() == [[1, 2]]


def test_decode_checks_the_image_size_and_the_labels() -> None:
    png = rgba_png(np.zeros((2, 3, 4), np.uint8))
    assert decode_mask_png(png, COLORS, expected_size=(3, 2)).shape == (2, 3)
    with pytest.raises(MaskError, match="3x2 but the image is 4x2"):
        decode_mask_png(png, COLORS, expected_size=(4, 2))
    with pytest.raises(MaskError, match="'Dog'"):
        decode_mask_png(png, {"Dog": "#123456"}, labels=["Cat"])
    with pytest.raises(MaskError, match="share a colour"):
        decode_mask_png(png, ["#ffffff", "#123456", "#123456"])
    with pytest.raises(MaskError, match="not a hex colour"):
        decode_mask_png(png, ["#ffffff", "blue"])
    with pytest.raises(MaskError, match="not a readable PNG"):
        decode_mask_png(b"not a png", COLORS)
