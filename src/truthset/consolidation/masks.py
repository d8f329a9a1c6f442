"""Consolidation of semantic segmentation masks, and the PNG formats masks travel in.

Vote with neighbourhood smoothing (``docs/spatial-consolidation.md`` has the reasoning): for every
pixel p and class k let ``c_k(p)`` be the number of workers who painted p with k and ``N_k(p)``
the sum of ``c_k`` over the 3x3 window around p (pixels outside the image count as no vote). The
consolidated class maximises

    score_k(p) = c_k(p) + 0.5 * N_k(p) / 9        (computed exactly as 18 c_k + N_k)

so the pixel's own vote decides, and the neighbourhood settles ties and overturns a one-vote
margin only when it leans by more than two workers on average (isolated specks of a bare majority
inside a region another class holds unanimously). A pixel all workers agree on never changes.
Exact remaining ties go to the lower class index, i.e. background first.

Confidence (one per image, as in Ground Truth): mean over the pixels where any worker or the
result has a non-background class of (workers agreeing with the result / all workers); 1.0 when
every worker left the image blank.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from PIL import Image

BACKGROUND_COLOR = "#ffffff"
# Euclidean RGB distance within which an off-palette pixel (anti-aliased edge) snaps to the
# nearest label colour. Category-10 style palettes keep label colours > 100 apart, so a blend
# of two labels snaps to the nearer one and a colour far from every label stays background.
COLOR_TOLERANCE = 100.0
# Canvas anti-aliasing fades alpha at edges; a pixel that is mostly transparent is background.
ALPHA_THRESHOLD = 128

Mask = NDArray[np.uint8]


class MaskError(ValueError):
    """A mask or mask PNG that cannot be consolidated; the message names the worker or field."""


@dataclass(frozen=True)
class ConsolidatedMask:
    """Consolidated class-index mask of one image and its per-image confidence."""

    mask: Mask
    confidence: float


def consolidate_masks(masks: Sequence[ArrayLike]) -> ConsolidatedMask:
    """Consolidate per-worker class-index masks (0 = background) of one image.

    >>> a = np.array([[0, 1], [1, 1]], dtype=np.uint8)
    >>> result = consolidate_masks([a, a, np.zeros((2, 2), np.uint8)])
    >>> result.mask.tolist(), round(result.confidence, 3)
    ([[0, 1], [1, 1]], 0.667)
    """
    stack = _checked_masks(masks)
    n_workers = len(stack)
    present = np.flatnonzero(sum(np.bincount(m.ravel(), minlength=256) for m in stack))
    best = np.zeros(stack[0].shape, dtype=np.uint8)
    best_score = np.full(stack[0].shape, -1, dtype=np.int16)
    best_votes = np.zeros(stack[0].shape, dtype=np.uint8)
    background_votes = np.zeros(stack[0].shape, dtype=np.uint8)
    for klass in present.tolist():
        votes = _votes(stack, klass)
        if klass == 0:
            background_votes = votes
        score = 18 * votes.astype(np.int16) + _window_sum(votes)
        better = score > best_score
        np.putmask(best, better, np.uint8(klass))
        np.putmask(best_score, better, score)
        np.putmask(best_votes, better, votes)
    nontrivial = (best != 0) | (background_votes < n_workers)
    if not nontrivial.any():
        return ConsolidatedMask(mask=best, confidence=1.0)
    agreement = float(best_votes[nontrivial].sum(dtype=np.int64)) / (
        n_workers * int(nontrivial.sum())
    )
    return ConsolidatedMask(mask=best, confidence=agreement)


def _checked_masks(masks: Sequence[ArrayLike]) -> list[Mask]:
    if len(masks) == 0:
        raise MaskError("no masks to consolidate")
    if len(masks) > 255:
        raise MaskError(f"at most 255 masks can be consolidated, got {len(masks)}")
    checked: list[Mask] = []
    for worker, raw in enumerate(masks):
        mask = np.asarray(raw)
        if mask.ndim != 2 or not np.issubdtype(mask.dtype, np.integer):
            raise MaskError(
                f"worker {worker}: mask must be a 2-D integer array, got {mask.dtype} {mask.shape}"
            )
        if checked and mask.shape != checked[0].shape:
            raise MaskError(
                f"worker {worker}: mask is {mask.shape[1]}x{mask.shape[0]} (width x height) "
                f"but worker 0's is {checked[0].shape[1]}x{checked[0].shape[0]}"
            )
        if mask.dtype != np.uint8:
            if mask.size and (mask.min() < 0 or mask.max() > 255):
                raise MaskError(f"worker {worker}: class indices must be in 0..255")
            mask = mask.astype(np.uint8)
        checked.append(mask)
    return checked


def _votes(stack: list[Mask], klass: int) -> NDArray[np.uint8]:
    votes = np.zeros(stack[0].shape, dtype=np.uint8)
    for mask in stack:
        votes += mask == klass
    return votes


def _window_sum(votes: NDArray[np.uint8]) -> NDArray[np.int16]:
    padded = np.pad(votes.astype(np.int16), 1)
    rows = padded[:-2] + padded[1:-1] + padded[2:]
    window: NDArray[np.int16] = rows[:, :-2] + rows[:, 1:-1] + rows[:, 2:]
    return window


def encode_paletted_png(mask: ArrayLike, colors: Sequence[str]) -> bytes:
    """Write a class-index mask as an 8-bit paletted PNG (Ground Truth's consolidated mask).

    Pixel value = class index; ``colors[k]`` is the hex colour of class k. Palette index 0 is
    always ``#ffffff`` (background) whatever ``colors[0]`` says; unused slots are white.

    >>> png = encode_paletted_png(np.array([[0, 1]], np.uint8), ["#ffffff", "#2acf59"])
    >>> Image.open(io.BytesIO(png)).getpalette()[:6]
    [255, 255, 255, 42, 207, 89]
    """
    array = np.asarray(mask)
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.integer):
        raise MaskError(f"mask must be a 2-D integer array, got {array.dtype} {array.shape}")
    if len(colors) > 256:
        raise MaskError(f"a paletted PNG holds at most 256 colours, got {len(colors)}")
    if array.size and (array.min() < 0 or array.max() >= max(len(colors), 1)):
        raise MaskError(
            f"mask holds class {int(array.max())} but only {len(colors)} colours were given"
        )
    palette = [parse_hex_color(BACKGROUND_COLOR)] + [parse_hex_color(c) for c in colors[1:]]
    palette += [parse_hex_color(BACKGROUND_COLOR)] * (256 - len(palette))
    image = Image.frombytes("P", (array.shape[1], array.shape[0]), array.astype(np.uint8).tobytes())
    image.putpalette(bytes(channel for color in palette for channel in color))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", bits=8)
    return buffer.getvalue()


# Ground Truth accepts images of up to 100 megapixels; masks are as large as their images. Every
# mask is refused above this, at submit (from its header, unread) and again when decoded.
MAX_MASK_PIXELS = 100_000_000
# Rows of a mask turned into classes at a time: the temporaries (RGBA copy, colour codes,
# matches) then take a few MB whatever the image's size, on top of the decoded image itself.
_BAND_PIXELS = 1 << 20


@contextlib.contextmanager
def _large_images_allowed() -> Iterator[None]:
    """Pillow warns about images above ~89 MP (a decompression-bomb guard); masks of allowed
    images may be larger, and anything above our own limit is refused outright."""
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = MAX_MASK_PIXELS
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def decode_mask_png(
    data: bytes,
    label_colors: Mapping[str, str | Mapping[str, str]] | Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    expected_size: tuple[int, int] | None = None,
    tolerance: float = COLOR_TOLERANCE,
) -> Mask:
    """Turn a mask PNG into class indices by matching pixel colours to label colours.

    ``label_colors`` is either a worker answer's ``labelMappings`` (``{label: {"color": "#hex"}}``
    or ``{label: "#hex"}``), whose class index is 1 + the label's position in ``labels`` (the
    job's label list; defaults to the mapping's order), or a list of hex colours indexed by class
    (index 0 = background, as for ``encode_paletted_png``). Transparent pixels (alpha < 128),
    white and colours farther than ``tolerance`` from every label colour are background;
    anti-aliased pixels take the nearest label colour. ``expected_size`` is ``(width, height)``.

    >>> png = encode_paletted_png(np.array([[0, 2]], np.uint8), ["#ffffff", "#2acf59", "#f28333"])
    >>> decode_mask_png(png, ["#ffffff", "#2acf59", "#f28333"]).tolist()
    [[0, 2]]
    """
    palette = _class_palette(label_colors, labels)
    try:
        with _large_images_allowed(), Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            # Checked from the header, before a pixel is decoded (a decompression bomb is a
            # small PNG of huge dimensions).
            if width * height > MAX_MASK_PIXELS:
                raise MaskError(
                    f"labeledImage is {width}x{height}, more than {MAX_MASK_PIXELS:,} pixels"
                )
            if expected_size is not None and (width, height) != tuple(expected_size):
                raise MaskError(
                    f"labeledImage is {width}x{height} "
                    f"but the image is {expected_size[0]}x{expected_size[1]}"
                )
            image.load()
            result = np.zeros((height, width), dtype=np.uint8)
            rows = max(1, _BAND_PIXELS // max(width, 1))
            for top in range(0, height, rows):
                band = image.crop((0, top, width, min(height, top + rows))).convert("RGBA")
                result[top : top + rows] = _nearest_class(np.asarray(band), palette, tolerance)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        if isinstance(error, MaskError):
            raise
        raise MaskError(f"labeledImage is not a readable PNG: {error}") from error
    return result


def parse_hex_color(color: str) -> tuple[int, int, int]:
    """``"#2acf59"`` or ``"#2CF"`` to ``(42, 207, 89)``."""
    text = color.strip().removeprefix("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    if len(text) != 6 or any(ch not in "0123456789abcdefABCDEF" for ch in text):
        raise MaskError(f"not a hex colour: {color!r}")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def _class_palette(
    label_colors: Mapping[str, str | Mapping[str, str]] | Sequence[str],
    labels: Sequence[str] | None,
) -> NDArray[np.int32]:
    colors: dict[int, tuple[int, int, int]] = {0: parse_hex_color(BACKGROUND_COLOR)}
    if isinstance(label_colors, Mapping):
        order = list(labels) if labels is not None else list(label_colors)
        for name, value in label_colors.items():
            if name not in order:
                raise MaskError(
                    f"labelMappings names label {name!r}, which is not one of the job's labels"
                )
            hex_color = value if isinstance(value, str) else value.get("color", "")
            colors[order.index(name) + 1] = parse_hex_color(hex_color)
    else:
        for index, hex_color in enumerate(label_colors[1:], start=1):
            colors[index] = parse_hex_color(hex_color)
    if len(set(colors.values())) != len(colors):
        raise MaskError("two classes (or a class and the white background) share a colour")
    palette = np.full((max(colors) + 1, 3), -1, dtype=np.int32)
    for index, rgb in colors.items():
        palette[index] = rgb
    return palette


def _nearest_class(rgba: NDArray[np.uint8], palette: NDArray[np.int32], tolerance: float) -> Mask:
    opaque = rgba[..., 3] >= ALPHA_THRESHOLD
    rgb = rgba[..., :3]
    code = (
        (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
    )
    result = np.zeros(rgba.shape[:2], dtype=np.uint8)
    matched = ~opaque
    used = [i for i in range(len(palette)) if palette[i, 0] >= 0]
    for index in used:
        red, green, blue = palette[index].tolist()
        exact = opaque & (code == ((red << 16) | (green << 8) | blue))
        result[exact] = index
        matched |= exact
    # Only anti-aliased or foreign pixels (usually a thin seam) need the distance computation;
    # chunks bound the memory when a whole image is off-palette.
    rest = np.flatnonzero(~matched)
    flat_rgb, flat_result = rgb.reshape(-1, 3), result.reshape(-1)
    candidates, class_of = palette[used][None, :, :], np.asarray(used, dtype=np.uint8)
    for start in range(0, len(rest), 1 << 18):
        chunk = rest[start : start + (1 << 18)]
        distance = ((flat_rgb[chunk].astype(np.int32)[:, None, :] - candidates) ** 2).sum(axis=2)
        nearest = distance.argmin(axis=1)
        close = distance[np.arange(len(chunk)), nearest] <= tolerance**2
        flat_result[chunk[close]] = class_of[nearest[close]]
    return result
