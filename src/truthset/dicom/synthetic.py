"""Mammography-like DICOM files made from generated pixels, for `truthset demo`, the tests and
the benchmark (nothing is downloaded). The pixels are a breast-shaped region of 12-bit tissue
texture on a dark background; the views are CC or MLO of the left or right breast.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from truthset.dicom.pixels import _pydicom

# Digital Mammography X-Ray Image Storage - For Presentation.
MAMMOGRAPHY_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.1.2"
SECONDARY_CAPTURE_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.7"


def breast_pixels(width: int, height: int, view: str, side: str, seed: int) -> np.ndarray:
    """uint16 pixels (12 bits used): tissue brighter towards the chest wall, a pectoral
    muscle triangle in MLO views, the chest wall on the left for R views and right for L."""
    rng = np.random.default_rng(seed)
    y = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    if side == "L":
        x = 1 - x
    reach = 0.75 + 0.1 * math.sin(seed)
    edge = reach * np.sqrt(np.clip(1 - (y / 0.95) ** 2, 0, 1))
    inside = x < edge
    depth = np.clip(1 - x / np.maximum(edge, 1e-3), 0, 1)
    tissue = 1400 + 1500 * depth**0.6
    # Texture at two coarse scales, smoothly upsampled: cheap even for a 20-megapixel mammogram.
    texture = _smooth_noise(rng, width, height, 96, 220) + _smooth_noise(rng, width, height, 24, 90)
    image = np.where(inside, tissue + texture, 60.0)
    if view == "MLO":
        muscle = (x < 0.35 * (1 - (y + 1) / 1.3)) & inside
        image = np.where(muscle, 3300.0, image)
    grain = rng.integers(0, 24, size=(height, width), dtype=np.uint16)
    return (np.clip(image, 0, 4071).astype(np.uint16) + grain).astype(np.uint16)


def _smooth_noise(
    rng: np.random.Generator, width: int, height: int, cell: int, spread: float
) -> np.ndarray:
    coarse = rng.normal(0, spread, (-(-height // cell) + 1, -(-width // cell) + 1))
    image = Image.fromarray(coarse.astype(np.float32))
    size = (image.width * cell, image.height * cell)
    smooth = np.asarray(image.resize(size, Image.Resampling.BICUBIC), dtype=np.float32)
    return smooth[:height, :width]


def mammogram_dataset(
    pixels: np.ndarray,
    *,
    view: str = "CC",
    side: str = "L",
    monochrome1: bool = False,
    patient: str = "Doe^Jane",
    patient_id: str = "MRN-0042",
) -> Any:
    """A pydicom Dataset of the pixels with a mammogram's header: two window presets, the view
    tags, and patient tags (which the viewer must never show unless a job asks for them)."""
    _pydicom()  # a clear message when the extra is missing
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(MAMMOGRAPHY_SOP_CLASS)
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = MAMMOGRAPHY_SOP_CLASS
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality = "MG"
    ds.PatientName = patient
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19610315"
    ds.InstitutionName = "Saint Example Hospital"
    ds.ViewPosition = view
    ds.ImageLaterality = side
    ds.Rows, ds.Columns = pixels.shape[-2:]
    if pixels.ndim == 3:
        ds.NumberOfFrames = pixels.shape[0]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1" if monochrome1 else "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation = 0
    ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = 1, 0, "US"
    # The windows are on the stored values, which MONOCHROME1 files store inverted.
    ds.WindowCenter = [1495, 1895] if monochrome1 else [2600, 2200]
    ds.WindowWidth = [1800, 3600]
    ds.WindowCenterWidthExplanation = ["STANDARD", "WIDE"]
    ds.VOILUTFunction = "LINEAR"
    stored = (4095 - pixels) if monochrome1 else pixels
    ds.PixelData = np.ascontiguousarray(stored, dtype="<u2").tobytes()
    return ds


def write_mammogram(
    path: Path, width: int, height: int, *, seed: int = 0, frames: int = 1, **tags: Any
) -> Path:
    """A mammogram file; with several frames (a tomosynthesis-like stack), each frame differs."""
    view, side = tags.pop("view", "CC"), tags.pop("side", "L")
    stack = [breast_pixels(width, height, view, side, seed + i) for i in range(frames)]
    grey = stack[0] if frames == 1 else np.stack(stack)
    ds = mammogram_dataset(grey, view=view, side=side, **tags)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path
