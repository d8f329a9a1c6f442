"""Semantic segmentation answers are checked without decoding their pixels, consolidated by a
per-pixel vote and written as Ground Truth's paletted mask and line (reference 4.7)."""

from __future__ import annotations

import base64
import contextlib
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from tests.tasktypes.support import Files, obj, rgba_png, spec
from truthset.errors import Invalid
from truthset.tasktypes.semantic_segmentation import (
    PALETTE,
    SEMANTIC_SEGMENTATION,
    SEMANTIC_SEGMENTATION_ADJUSTMENT,
    png_size,
)

LABELS = ["sky", "road", "car"]
JOB = spec(LABELS, attribute="streets-ref")
BASE_JS = Path(__file__).resolve().parents[2] / "src/truthset/web/static/crowd/base.js"


def answer(mask: np.ndarray, colors: dict[str, str] | None = None, **extra: Any) -> Any:
    """The tool's answer for a class mask (1 = LABELS[0], ...), in the tool's colours."""
    colors = colors or {
        label: PALETTE[i] for i, label in enumerate(LABELS) if (mask == i + 1).any()
    }
    by_class = {LABELS.index(label) + 1: color for label, color in colors.items()}
    return {
        "crowd-semantic-segmentation": {
            "inputImageProperties": {"height": mask.shape[0], "width": mask.shape[1]},
            "labelMappings": {label: {"color": color} for label, color in colors.items()},
            "labeledImage": {"pngImageData": rgba_png(mask, by_class)},
            **extra,
        }
    }


def test_the_palette_is_the_tools_palette() -> None:
    block = re.search(r"LABEL_COLORS = \[(.*?)\]", BASE_JS.read_text(), re.S)
    assert block is not None
    assert re.findall(r'"(#[0-9a-f]{6})"', block.group(1)) == PALETTE


def test_a_valid_answer_is_accepted() -> None:
    mask = np.zeros((30, 40), np.uint8)
    mask[5:10, 5:20] = 2
    good = answer(mask)
    assert SEMANTIC_SEGMENTATION.validate_answer(JOB, good) == good
    assert SEMANTIC_SEGMENTATION.answer_code(JOB, good) is None


def with_field(mask: np.ndarray, path: str, value: Any) -> Any:
    result = answer(mask)
    inner = result["crowd-semantic-segmentation"]
    *parents, last = path.split(".")
    for key in parents:
        inner = inner[key]
    inner[last] = value
    return result


def png_bytes(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size).save(buffer, format="PNG")
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


MASK = np.zeros((30, 40), np.uint8)
DAMAGED = bytearray(png_bytes((40, 30)))
DAMAGED[40] ^= 0xFF


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (with_field(MASK, "labeledImage", "x"), "pngImageData must be the mask as a base64 PNG"),
        (with_field(MASK, "labeledImage.pngImageData", "@@@"), "is not valid base64"),
        (with_field(MASK, "labeledImage.pngImageData", b64(b"GIF89a")), "is not a PNG image"),
        (with_field(MASK, "labeledImage.pngImageData", b64(png_bytes((40, 30))[:60])), "cut short"),
        (with_field(MASK, "labeledImage.pngImageData", b64(bytes(DAMAGED))), "damaged"),
        (
            with_field(MASK, "labeledImage.pngImageData", b64(png_bytes((41, 30)))),
            "the mask is 41 x 30 but the image is 40 x 30",
        ),
        (with_field(MASK, "labelMappings", []), "labelMappings must map labels"),
        (with_field(MASK, "labelMappings", {"tree": {"color": "#123456"}}), "'tree' is not one"),
        (with_field(MASK, "labelMappings", {"sky": {"color": "blue"}}), "labelMappings.sky must"),
        (with_field(MASK, "labelMappings", {"sky": "#123456"}), "labelMappings.sky must"),
        (with_field(MASK, "labelMappings", {"sky": {"color": "#FFFFFF"}}), "not white"),
        (
            with_field(
                MASK, "labelMappings", {"sky": {"color": "#123456"}, "car": {"color": "#123456"}}
            ),
            "labelMappings.car: each label needs its own colour",
        ),
        (with_field(MASK, "inputImageProperties", {"width": 40}), "height must be a whole"),
    ],
)
def test_bad_answers_are_refused_naming_the_field(bad: Any, message: str) -> None:
    with pytest.raises(Invalid) as error:
        SEMANTIC_SEGMENTATION.validate_answer(JOB, bad)
    assert message in error.value.message


@given(st.integers(1, 3000), st.integers(1, 3000))
def test_png_size_reads_the_header(width: int, height: int) -> None:
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG")
    assert png_size(buffer.getvalue(), "mask") == (width, height)


@given(st.binary(max_size=200))
def test_png_size_never_crashes_on_garbage(data: bytes) -> None:
    for candidate in (data, b"\x89PNG\r\n\x1a\n" + data):
        with contextlib.suppress(Invalid):
            png_size(candidate, "mask")


def consolidate(*contents: Any, job: Any = JOB) -> tuple[dict[str, Any], Files]:
    files = Files()
    kind = (
        SEMANTIC_SEGMENTATION_ADJUSTMENT
        if "audit_label_attribute_name" in job.options
        else SEMANTIC_SEGMENTATION
    )
    (label,) = kind.consolidate(job, [obj(list(contents), object_id=7)], files.context())
    return label.content, files


def read_png(files: Files) -> Image.Image:
    ((path, data),) = files.written.items()
    assert path == "annotations/consolidated-annotation/output/7/2026-11-25_09:30:00.png"
    return Image.open(io.BytesIO(data))


def test_consolidated_mask_is_a_paletted_png_and_the_line_matches_ground_truth() -> None:
    truth = np.zeros((30, 40), np.uint8)
    truth[0:10, :] = 1
    truth[20:30, 10:30] = 3
    noisy = truth.copy()
    noisy[12:17, 12:17] = 2  # one worker's blob: out-voted, but it lowers the confidence
    content, files = consolidate(answer(truth), answer(truth), answer(noisy))
    image = read_png(files)
    assert image.mode == "P" and image.size == (40, 30)
    assert (np.asarray(image) == truth).all()
    palette = image.getpalette()
    assert palette is not None
    assert palette[:12] == [255, 255, 255, 0x1F, 0x77, 0xB4, 0xFF, 0x7F, 0x0E, 0x2C, 0xA0, 0x2C]
    assert content["streets-ref"] == (
        "/out/job/annotations/consolidated-annotation/output/7/2026-11-25_09:30:00.png"
    )
    meta = content["streets-ref-metadata"]
    confidence = meta["internal-color-map"]["0"]["confidence"]
    # 600 labelled pixels all agree on, 25 where one worker of three disagrees
    assert confidence == round((600 * 3 + 25 * 2) / (3 * 625), 2) == 0.99
    assert meta["internal-color-map"] == {
        "0": {"class-name": "BACKGROUND", "confidence": confidence, "hex-color": "#ffffff"},
        "1": {"class-name": "sky", "confidence": confidence, "hex-color": "#1f77b4"},
        "2": {"class-name": "road", "confidence": confidence, "hex-color": "#ff7f0e"},
        "3": {"class-name": "car", "confidence": confidence, "hex-color": "#2ca02c"},
    }
    assert meta["type"] == "groundtruth/semantic-segmentation"
    assert "adjustment-status" not in meta


def test_identical_masks_give_confidence_one_and_one_worker_zero() -> None:
    truth = np.zeros((8, 8), np.uint8)
    truth[2:5, 2:5] = 2
    content, files = consolidate(answer(truth), answer(truth))
    assert content["streets-ref-metadata"]["internal-color-map"]["2"]["confidence"] == 1.0
    assert (np.asarray(read_png(files)) == truth).all()
    content, _ = consolidate(answer(truth))
    assert content["streets-ref-metadata"]["internal-color-map"]["1"]["confidence"] == 0.0


def test_masks_in_other_colours_are_read_by_their_label_mappings() -> None:
    truth = np.zeros((8, 8), np.uint8)
    truth[:4] = 3
    custom = answer(truth, {"car": "#00ff00"})
    _, files = consolidate(custom, answer(truth))
    assert (np.asarray(read_png(files)) == truth).all()


def test_masks_of_another_size_are_left_out() -> None:
    truth = np.ones((8, 8), np.uint8)
    content, files = consolidate(answer(truth), answer(truth), answer(np.zeros((9, 9), np.uint8)))
    assert (np.asarray(read_png(files)) == truth).all()
    assert content["streets-ref-metadata"]["internal-color-map"]["0"]["confidence"] == 1.0


def test_a_job_has_at_most_one_label_per_tool_colour() -> None:
    SEMANTIC_SEGMENTATION.check_job(spec([f"c{i}" for i in range(20)], attribute="a-ref"))
    with pytest.raises(Invalid, match="at most 20 labels"):
        SEMANTIC_SEGMENTATION.check_job(spec([f"c{i}" for i in range(21)], attribute="a-ref"))


EARLIER = {
    "source-ref": "/data/a.png",
    "city-ref": "/out/label-city/annotations/consolidated-annotation/output/0/x.png",
    "city-ref-metadata": {
        "internal-color-map": {
            "0": {"class-name": "BACKGROUND", "confidence": 0.9, "hex-color": "#ffffff"},
            "2": {"class-name": "road", "confidence": 0.9, "hex-color": "#F28333"},
            "1": {"class-name": "buildings", "confidence": 0.9, "hex-color": "#2acf59"},
        },
        "type": "groundtruth/semantic-segmentation",
    },
}


def test_adjustment_starts_from_the_earlier_mask() -> None:
    job = spec(
        ["buildings", "road", "sky"], attribute="fixed-ref", audit_label_attribute_name="city-ref"
    )
    SEMANTIC_SEGMENTATION_ADJUSTMENT.check_job(job)
    SEMANTIC_SEGMENTATION_ADJUSTMENT.check_line(job, EARLIER)
    shown = SEMANTIC_SEGMENTATION_ADJUSTMENT.task_input(job, EARLIER, lambda uri: f"/media{uri}")
    assert shown["initialValue"] == {
        "labelMappings": {"buildings": {"color": "#2acf59"}, "road": {"color": "#f28333"}},
        "src": "/media/out/label-city/annotations/consolidated-annotation/output/0/x.png",
    }
    truth = np.zeros((8, 8), np.uint8)
    same = answer(truth, initialValueModified=False)
    SEMANTIC_SEGMENTATION_ADJUSTMENT.validate_answer(job, same)
    with pytest.raises(Invalid, match="initialValueModified"):
        SEMANTIC_SEGMENTATION_ADJUSTMENT.validate_answer(job, answer(truth))
    content, _ = consolidate(same, same, job=job)
    assert content["fixed-ref-metadata"]["adjustment-status"] == "unadjusted"
    changed = answer(truth, initialValueModified=True)
    content, _ = consolidate(same, changed, job=job)
    assert content["fixed-ref-metadata"]["adjustment-status"] == "adjusted"


@pytest.mark.parametrize(
    ("options", "attribute", "message"),
    [
        ({}, "fixed-ref", "name the label to audit"),
        ({"audit_label_attribute_name": "city"}, "fixed-ref", "must end in '-ref'"),
        ({"audit_label_attribute_name": "city-ref"}, "city-ref", "must differ from the audited"),
        ({"audit_label_attribute_name": "bad name-ref"}, "fixed-ref", "is invalid"),
    ],
)
def test_adjustment_job_rules(options: dict[str, str], attribute: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        SEMANTIC_SEGMENTATION_ADJUSTMENT.check_job(spec(LABELS, attribute=attribute, **options))


def test_earlier_masks_without_hex_colours_cannot_be_audited() -> None:
    job = spec(["buildings", "road"], attribute="fixed-ref", audit_label_attribute_name="city-ref")
    old = {**EARLIER, "city-ref-metadata": {"internal-color-map": {"1": {"class-name": "road"}}}}
    with pytest.raises(Invalid, match=r"internal-color-map\.1 needs a class-name and a hex-color"):
        SEMANTIC_SEGMENTATION_ADJUSTMENT.check_line(job, old)
    with pytest.raises(Invalid, match="'sky' is not one of the job's labels"):
        line = {
            **EARLIER,
            "city-ref-metadata": {
                "internal-color-map": {"1": {"class-name": "sky", "hex-color": "#123456"}}
            },
        }
        SEMANTIC_SEGMENTATION_ADJUSTMENT.check_line(job, line)


@st.composite
def class_masks(draw: st.DrawFn) -> np.ndarray:
    height, width = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    cells = draw(
        st.lists(st.integers(0, len(LABELS)), min_size=width * height, max_size=width * height)
    )
    return np.array(cells, np.uint8).reshape(height, width)


@given(class_masks(), st.integers(1, 4))
def test_identical_answers_give_back_the_mask(mask: np.ndarray, workers: int) -> None:
    content, files = consolidate(*[answer(mask)] * workers)
    assert (np.asarray(read_png(files)) == mask).all()
    confidence = content["streets-ref-metadata"]["internal-color-map"]["0"]["confidence"]
    assert confidence == (1.0 if workers > 1 else 0.0)
