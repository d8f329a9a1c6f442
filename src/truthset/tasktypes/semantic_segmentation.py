"""Semantic segmentation (reference 4.7) and its adjustment: `crowd-semantic-segmentation`.

A worker's answer is an RGBA PNG in label colours. It is checked when stored without decoding
its pixels (the answer is checked inside the write transaction; a 100-megapixel mask takes
seconds to decode): the PNG's structure and checksums, its size and the label colours. Pixels
are decoded at consolidation, where a colour of no label counts as background. Consolidation is
a per-pixel vote with neighbourhood smoothing (`consolidation.masks`); the consolidated mask is
an 8-bit paletted PNG (pixel value = class index, index 0 = BACKGROUND in white) written under
`annotations/consolidated-annotation/output/<object id>/`.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from truthset.consolidation.masks import (
    BACKGROUND_COLOR,
    MAX_MASK_PIXELS,
    MaskError,
    consolidate_masks,
    decode_mask_png,
    encode_paletted_png,
    parse_hex_color,
)
from truthset.errors import Invalid
from truthset.tasktypes import audit
from truthset.tasktypes.base import (
    ConsolidationContext,
    JobSpec,
    ObjectAnswers,
    Signer,
    round_confidence,
)
from truthset.tasktypes.images import (
    ImageTask,
    Size,
    adjustment_status,
    consensus_size,
    element_output,
    image_task_input,
    label_metadata,
    read_modified,
    read_size,
)

# The label colours of the Crowd HTML Elements (LABEL_COLORS in web/static/crowd/base.js:
# tab10, then tab20's light shades). The tools cycle through them, so a job may have at most
# this many labels: beyond, two labels would share a colour in the workers' masks.
PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
]  # fmt: skip
EXAMPLE = (
    '{"crowd-semantic-segmentation": {"inputImageProperties": {...}, "labelMappings": {...}, '
    '"labeledImage": {"pngImageData": "<base64>"}}}'
)
MAX_PNG_BYTES = 256 << 20
OUTPUT_FOLDER = "annotations/consolidated-annotation/output"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class MaskAnswer:
    size: Size
    colors: dict[str, str]  # label -> "#rrggbb", the answer's labelMappings
    png: bytes


def _read_colors(job: JobSpec, name: str, value: dict[str, Any]) -> dict[str, str]:
    mappings = value.get("labelMappings", {})
    where = f"answer.{name}.labelMappings"
    if not isinstance(mappings, dict):
        raise Invalid(f'{where} must map labels to {{"color": "#rrggbb"}}')
    colors: dict[str, str] = {}
    for label, mapping in mappings.items():
        if label not in job.labels:
            raise Invalid(f"{where}: {label!r} is not one of the job's labels")
        color = mapping.get("color") if isinstance(mapping, dict) else None
        try:
            rgb = parse_hex_color(color) if isinstance(color, str) else None
        except MaskError:
            rgb = None
        if rgb is None:
            raise Invalid(f'{where}.{label} must be {{"color": "#rrggbb"}}')
        if rgb == parse_hex_color(BACKGROUND_COLOR) or rgb in map(parse_hex_color, colors.values()):
            raise Invalid(f"{where}.{label}: each label needs its own colour, not white")
        colors[label] = str(color)
    return colors


def png_size(data: bytes, where: str) -> Size:
    """(width, height) of a PNG, after checking its chunk structure and checksums; the pixel
    data is not decompressed."""
    if not data.startswith(_PNG_SIGNATURE):
        raise Invalid(f"{where} is not a PNG image")
    offset, first, size = len(_PNG_SIGNATURE), True, (0, 0)
    while True:
        if offset + 12 > len(data):
            raise Invalid(f"{where}: the PNG is cut short")
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        end = offset + 12 + length
        if end > len(data):
            raise Invalid(f"{where}: the PNG is cut short")
        crc = struct.unpack(">I", data[end - 4 : end])[0]
        if zlib.crc32(data[offset + 4 : end - 4]) != crc:
            raise Invalid(f"{where}: the PNG is damaged (checksum of its {kind!r} chunk)")
        if first:
            if kind != b"IHDR" or length != 13:
                raise Invalid(f"{where}: the PNG does not start with its header")
            size = struct.unpack(">II", data[offset + 8 : offset + 16])
            first = False
        offset = end
        if kind == b"IEND":
            return size


def read_mask(job: JobSpec, answer: Any, adjustment: bool = False) -> MaskAnswer:
    """A worker's mask answer, checked (see the module docstring); raises Invalid naming the
    bad field."""
    name, value = element_output(answer, EXAMPLE)
    size = read_size(name, value)
    read_modified(name, value, required=adjustment)
    colors = _read_colors(job, name, value)
    image = value.get("labeledImage")
    data = image.get("pngImageData") if isinstance(image, dict) else None
    where = f"answer.{name}.labeledImage.pngImageData"
    if not isinstance(data, str):
        raise Invalid(f"{where} must be the mask as a base64 PNG")
    if len(data) > MAX_PNG_BYTES * 4 // 3 + 4:
        raise Invalid(f"{where}: the mask is larger than {MAX_PNG_BYTES >> 20} MB")
    try:
        png = base64.b64decode(data, validate=True)
    except binascii.Error:
        raise Invalid(f"{where} is not valid base64") from None
    width, height = png_size(png, where)
    if width * height > MAX_MASK_PIXELS:
        # Refused from the header: decoding it would take 5 bytes of memory per pixel.
        raise Invalid(
            f"{where}: the mask is {width} x {height}, more than the {MAX_MASK_PIXELS:,} pixels "
            "(100 megapixels, Ground Truth's largest image) a mask may have"
        )
    if (width, height) != size:
        raise Invalid(
            f"{where}: the mask is {width} x {height} but the image is {size[0]} x {size[1]}"
        )
    return MaskAnswer(size, colors, png)


@dataclass(frozen=True)
class SemanticSegmentation(ImageTask):
    name: str = "semantic-segmentation"
    gt_type: str = "groundtruth/semantic-segmentation"
    input_key: str = "source-ref"
    lambda_suffix: str = "SemanticSegmentation"
    template_file: str = "semantic-segmentation.liquid"
    min_labels: int = 1
    needs_ref: bool = True
    default_workers: int = 3
    default_time_limit: int = 3600
    joint: bool = False
    # Answers are whole PNG masks: consolidate a few objects at a time to bound memory.
    consolidation_batch: int = 20
    adjustment: bool = False

    def check_job(self, job: JobSpec) -> None:
        if len(job.labels) > len(PALETTE):
            raise Invalid(
                f"labels: {self.name} jobs have at most {len(PALETTE)} labels, one per colour "
                f"of the segmentation tool, got {len(job.labels)}"
            )
        if self.adjustment:
            audit.check_audit_job(job, self.name, mask=True)

    def check_line(self, job: JobSpec, line: dict[str, Any]) -> None:
        if self.adjustment:
            audit.check_labels_kept(job, audit.earlier_mask(job, line).labels)

    def task_input(self, job: JobSpec, line: dict[str, Any], sign: Signer) -> dict[str, Any]:
        shown = image_task_input(job, line, sign)
        if self.adjustment:
            earlier = audit.earlier_mask(job, line)
            shown["initialValue"] = {
                "labelMappings": earlier.label_mappings,
                "src": sign(earlier.uri),
            }
        return shown

    def validate_answer(self, job: JobSpec, answer: dict[str, Any]) -> dict[str, Any]:
        read_mask(job, answer, self.adjustment)
        return answer

    def label_content(
        self, job: JobSpec, obj: ObjectAnswers, context: ConsolidationContext
    ) -> dict[str, Any]:
        answers = [read_mask(job, a.content) for a in obj.answers]
        size = consensus_size([a.size for a in answers])
        masks = []
        for answer in answers:
            if answer.size != size:
                continue  # made on another image size: no pixel-by-pixel vote possible
            try:
                masks.append(
                    decode_mask_png(
                        answer.png, answer.colors, labels=job.labels, expected_size=size
                    )
                )
            except MaskError:
                continue  # its pixels cannot be read after all: it is left out
        if masks:
            result = consolidate_masks(masks)
            mask, confidence = result.mask, round_confidence(result.confidence, len(masks))
        else:
            mask, confidence = np.zeros((size[1], size[0]), np.uint8), 0.0
        colors = [BACKGROUND_COLOR, *PALETTE[: len(job.labels)]]
        path = f"{OUTPUT_FOLDER}/{obj.object_id}/{context.now:%Y-%m-%d_%H:%M:%S}.png"
        uri = context.write_file(path, encode_paletted_png(mask, colors))
        color_map = {
            str(k): {"class-name": name, "confidence": confidence, "hex-color": colors[k]}
            for k, name in enumerate(["BACKGROUND", *job.labels])
        }
        meta = label_metadata(job, self.gt_type, context.now, **{"internal-color-map": color_map})
        if self.adjustment:
            meta["adjustment-status"] = adjustment_status(obj.answers)
        attr = job.label_attribute_name
        return {attr: uri, f"{attr}-metadata": meta}


SEMANTIC_SEGMENTATION = SemanticSegmentation()
SEMANTIC_SEGMENTATION_ADJUSTMENT = SemanticSegmentation(
    name="semantic-segmentation-adjustment",
    lambda_suffix="AdjustmentSemanticSegmentation",
    template_file="semantic-segmentation-adjustment.liquid",
    adjustment=True,
)
