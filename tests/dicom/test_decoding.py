"""DICOM decoding against pydicom's own reference decoding, on pydicom's example files (shipped
in its wheel) of several transfer syntaxes and photometric interpretations, and generated
16-bit files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut, apply_voi_lut, pixel_array
from pydicom.uid import RLELossless

from truthset.dicom import pixels, windowing
from truthset.dicom.renditions import DicomRenditions, Region, display_reduce
from truthset.dicom.synthetic import breast_pixels, mammogram_dataset, write_mammogram

# (file, transfer syntax or photometric interpretation it covers)
GREY_FILES = [
    "CT_small.dcm",  # explicit VR little endian, signed, rescale intercept
    "MR_small_bigendian.dcm",  # explicit VR big endian
    "MR_small_implicit.dcm",  # implicit VR
    "MR_small_RLE.dcm",  # RLE lossless
    "MR_small_jp2klossless.dcm",  # JPEG 2000 lossless
    "JPEG2000.dcm",  # JPEG 2000
    "MR_small_jpeg_ls_lossless.dcm",  # JPEG-LS lossless
    "JPEGLSNearLossless_16.dcm",  # JPEG-LS near-lossless, 16 bits
    "rtdose.dcm",  # 15 frames, 32-bit
    "image_dfl.dcm",  # deflated explicit VR little endian
    "JPGExtended.dcm",  # JPEG extended, 12 bits
    "693_J2KI.dcm",  # JPEG 2000 (lossy allowed)
]
COLOR_FILES = [
    "SC_rgb_rle.dcm",  # RGB, RLE
    "SC_rgb_jpeg_dcmtk.dcm",  # YBR_FULL_422, JPEG baseline
    "SC_ybr_full_422_uncompressed.dcm",  # YBR_FULL_422 uncompressed
    "examples_jpeg2k.dcm",  # YBR_RCT, JPEG 2000
    "examples_palette.dcm",  # PALETTE COLOR
    "SC_rgb_rle_2frame.dcm",  # two RGB frames
    "SC_rgb_jpeg_gdcm.dcm",  # JPEG lossless (process 14, selection value 1)
    "examples_ybr_color.dcm",  # 30 YBR_FULL_422 JPEG frames
    "SC_rgb_rle_16bit.dcm",  # RGB, 16 bits a sample
]


def read(name: str) -> Dataset:
    ds: Dataset = pixels.read_dataset(Path(get_testdata_file(name)).read_bytes())  # type: ignore[arg-type]
    return ds


def reference(name: str, index: int) -> np.ndarray:
    path = get_testdata_file(name)
    ds = dcmread(path)
    arr: np.ndarray = (
        pixel_array(path, index=index) if int(ds.get("NumberOfFrames") or 1) > 1 else ds.pixel_array
    )
    return arr


@pytest.mark.parametrize("name", GREY_FILES)
def test_grey_values_match_pydicom_modality_values(name: str) -> None:
    ds = read(name)
    info = pixels.describe(ds, 10**8)
    assert not info.color
    for index in sorted({0, info.frames - 1}):
        raw = pixels.raw_frame(ds, info, index)
        expected = apply_modality_lut(reference(name, index), ds).astype(np.float64)
        values = info.offset + raw.astype(np.float64) * info.scale
        assert raw.dtype == np.uint16 and raw.shape == (info.height, info.width)
        # Exact when the values fit 16 bits (scale 1); within one step otherwise (32-bit dose).
        assert np.abs(values - expected).max() <= (0 if info.scale == 1 else info.scale / 2 + 1e-6)


@pytest.mark.parametrize("name", COLOR_FILES)
def test_colour_frames_match_pydicom_rgb(name: str) -> None:
    ds = read(name)
    info = pixels.describe(ds, 10**8)
    assert info.color and not info.windows
    for index in range(info.frames):
        rgb = pixels.raw_frame(ds, info, index)
        expected = reference(name, index)
        if info.photometric == "PALETTE COLOR":
            from pydicom.pixels import apply_color_lut

            expected = (apply_color_lut(expected, ds) / 257).round()
        elif expected.dtype != np.uint8:
            expected = (expected / (2 ** int(ds.BitsStored) - 1) * 255).round()
        assert rgb.shape == (info.height, info.width, 3)
        assert np.abs(rgb.astype(int) - expected.astype(int)).max() <= 1


def normalised_pydicom_window(ds: Dataset, info: pixels.DicomInfo, index: int = 0) -> np.ndarray:
    """pydicom's VOI output scaled to 0-255 over its output range."""
    modality = apply_modality_lut(ds.pixel_array, ds)
    out = apply_voi_lut(modality, ds, index=index).astype(np.float64)
    if "VOILUTSequence" in ds and "WindowCenter" not in ds:
        top = 2 ** int(ds.VOILUTSequence[0].LUTDescriptor[2]) - 1
        return out / top * 255
    bits = int(ds.BitsStored)
    low, high = (
        (0, 2**bits - 1)
        if ds.PixelRepresentation == 0
        else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    )
    slope, intercept = float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0))
    low, high = low * slope + intercept, high * slope + intercept
    return (out - low) / (high - low) * 255


@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
def test_window_is_applied_as_the_file_says(function: str) -> None:
    ds = read("MR_small.dcm")
    ds.VOILUTFunction = function
    ds.WindowCenter, ds.WindowWidth = [600.0, 900.0], [1600.0, 700.0]
    info = pixels.describe(ds, 10**8)
    raw = pixels.raw_frame(ds, info, 0)
    for index, window in enumerate(info.windows):
        ours = windowing.to_grey8(raw, windowing.window_table(info, window))
        expected = normalised_pydicom_window(ds, info, index)
        assert np.abs(ours.astype(float) - expected).max() <= 1.0


def test_voi_lut_sequence_is_applied() -> None:
    ds = read("MR_small.dcm")
    del ds.WindowCenter, ds.WindowWidth
    item = Dataset()
    item.LUTDescriptor = [4096, 0, 12]
    item.LUTData = [min(4095, int(4095 * (i / 4095) ** 0.5)) for i in range(4096)]
    ds.VOILUTSequence = [item]
    info = pixels.describe(ds, 10**8)
    assert info.voi_lut is not None and not info.windows
    raw = pixels.raw_frame(ds, info, 0)
    ours = windowing.to_grey8(raw, windowing.default_table(info, raw))
    assert np.abs(ours.astype(float) - normalised_pydicom_window(ds, info)).max() <= 1.0


def test_monochrome1_is_shown_inverted(tmp_path: Path) -> None:
    """The same tissue stored as MONOCHROME1 (inverted values, windows on those values) looks
    as its MONOCHROME2 twin (to a rounding step: the linear window is not quite symmetric)."""
    grey = breast_pixels(300, 400, "MLO", "R", seed=3)
    shown = []
    for inverted in (False, True):
        ds = mammogram_dataset(grey, monochrome1=inverted)
        ds = pixels.read_dataset(_saved(ds, tmp_path / f"m{inverted}.dcm"))
        info = pixels.describe(ds, 10**8)
        assert info.invert is inverted
        raw = pixels.raw_frame(ds, info, 0)
        shown.append(windowing.to_grey8(raw, windowing.default_table(info, raw)))
    assert np.abs(shown[0].astype(int) - shown[1].astype(int)).max() <= 1
    assert shown[0].std() > 20, "the window leaves visible contrast"


def _saved(ds: Dataset, path: Path) -> bytes:
    ds.save_as(path, enforce_file_format=True)
    return path.read_bytes()


def test_generated_16_bit_file_is_exact_and_rle_compressed_too(tmp_path: Path) -> None:
    grey = (np.arange(200 * 150, dtype=np.uint32) * 2654435761 % 65536).astype(np.uint16)
    grey = grey.reshape(200, 150)
    ds = mammogram_dataset(grey)
    ds.BitsStored, ds.HighBit = 16, 15
    del ds.RescaleSlope, ds.RescaleIntercept
    for name, transform in (("plain", None), ("rle", RLELossless)):
        if transform is not None:
            ds.compress(transform)
        loaded = pixels.read_dataset(_saved(ds, tmp_path / f"{name}.dcm"))
        info = pixels.describe(loaded, 10**8)
        assert (info.offset, info.scale) == (0, 1)
        assert np.array_equal(pixels.raw_frame(loaded, info, 0), grey)


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path: Path) -> None:
    ds = mammogram_dataset(np.zeros((64, 64), dtype=np.uint16))
    ds.compress(RLELossless)
    ds.Rows, ds.Columns = 60_000, 60_000  # a few hundred bytes claiming 7 GB of pixels
    loaded = pixels.read_dataset(_saved(ds, tmp_path / "bomb.dcm"))
    with pytest.raises(pixels.UnreadableDicom, match="TRUTHSET_DICOM_MAX_PIXELS"):
        pixels.describe(loaded, 64_000_000)


def test_not_dicom_and_no_pixels_are_unreadable() -> None:
    with pytest.raises(pixels.UnreadableDicom, match="not a readable DICOM file"):
        pixels.read_dataset(b"\x89PNG\r\n\x1a\n" + b"\0" * 200)
    with pytest.raises(pixels.UnreadableDicom, match="no Pixel Data"):
        pixels.describe(read("rtplan.dcm"), 10**8)


def test_renditions_keep_16_bits_and_full_resolution(tmp_path: Path) -> None:
    path = write_mammogram(tmp_path / "m.dcm", 900, 1200, seed=5)
    grey = dcmread(path).pixel_array
    store = DicomRenditions(tmp_path / "cache", 10**9, 10**8)
    described = store.info(str(path), path.read_bytes)
    info = described["info"]
    assert (info["width"], info["height"], info["frames"]) == (900, 1200, 1)
    assert [w["name"] for w in info["windows"]] == ["STANDARD", "WIDE"]
    assert "PatientName" not in str(described) and "Doe" not in str(described)
    display = np.frombuffer(store.display(str(path), 0, path.read_bytes), dtype="<u2")
    assert display.reshape(1200, 900).tolist() == grey.tolist(), (
        "small images are shown as they are"
    )
    crop = store.region(str(path), 0, Region(100, 200, 300, 250, 300, 250), path.read_bytes)
    assert np.array_equal(np.frombuffer(crop, "<u2").reshape(250, 300), grey[200:450, 100:400])
    for outside in (
        Region(800, 0, 200, 10, 200, 10),  # past the right edge
        Region(0, 0, 10, 10, -10, -10),  # no size
        Region(0, 0, 10, 10, 20, 20),  # scaled up
    ):
        with pytest.raises(pixels.Invalid):
            store.region(str(path), 0, outside, path.read_bytes)


def test_display_copy_of_a_large_frame_is_downscaled_by_a_whole_factor() -> None:
    grey = np.arange(5000 * 4000, dtype=np.uint32).reshape(5000, 4000).astype(np.uint16)
    small = display_reduce(grey, 3)
    assert small.shape == (1667, 1334)
    block = grey[30:33, 60:63].astype(float)
    assert abs(float(small[10, 20]) - block.mean()) <= 2


def test_the_cache_is_bounded(tmp_path: Path) -> None:
    store = DicomRenditions(tmp_path / "cache", 600_000, 10**8)
    paths = [write_mammogram(tmp_path / f"{i}.dcm", 300, 400, seed=i) for i in range(4)]
    for path in paths:
        store.info(str(path), path.read_bytes)
    folders = list((tmp_path / "cache").iterdir())
    used = sum(f.stat().st_size for folder in folders for f in folder.iterdir())
    assert len(folders) < 4 and used <= 600_000
    again = store.info(str(paths[0]), paths[0].read_bytes)  # decoded again when evicted
    assert again["info"]["width"] == 300
