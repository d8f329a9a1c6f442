"""Reads a DICOM file's pixels and display attributes with pydicom (and the pylibjpeg plugins
for JPEG, JPEG-LS, JPEG 2000 and RLE transfer syntaxes).

Grey images reach the viewer as 16-bit "raw" values: value = offset + raw * scale, where value
is the modality value (Rescale Slope and Intercept, or the Modality LUT, applied), so the
viewer windows the file's own numbers. When the values are whole numbers spanning at most
65,536 steps (nearly every file), scale is 1 and raw is exact.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from truthset.errors import Invalid, TruthsetError

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

MAX_FRAMES = 10_000
VOI_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")


class UnreadableDicom(Invalid):
    """The object cannot be shown: not DICOM, no pixels, too large, or undecodable."""


@dataclass(frozen=True)
class Window:
    centre: float
    width: float
    name: str


@dataclass(frozen=True)
class DicomInfo:
    """What the viewer is told about one DICOM object (nothing that identifies a patient)."""

    width: int
    height: int
    frames: int
    color: bool
    photometric: str
    invert: bool  # MONOCHROME1: the lowest value is white
    offset: float
    scale: float
    windows: tuple[Window, ...]
    voi_function: str
    voi_lut: dict[str, Any] | None  # {"first": first value mapped, "bits": output bits, "data"}
    transfer_syntax: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> DicomInfo:
        windows = tuple(Window(**w) for w in data.pop("windows"))
        return DicomInfo(windows=windows, **data)


def _pydicom() -> Any:
    try:
        import pydicom
    except ImportError:
        raise TruthsetError("DICOM images need pydicom: pip install 'truthset[dicom]'") from None
    return pydicom


def read_dataset(data: bytes, *, header_only: bool = False) -> Dataset:
    pydicom = _pydicom()
    try:
        # pydicom warns about files it reads anyway (an unexpected VR): logged, not raised.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds: Dataset = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=header_only)
    except (pydicom.errors.InvalidDicomError, ValueError, EOFError, KeyError, TypeError) as error:
        raise UnreadableDicom(f"not a readable DICOM file: {error}") from error
    return ds


def _numbers(value: Any) -> list[float]:
    if value is None or value == "":
        return []
    values = value if isinstance(value, list | tuple) or hasattr(value, "__iter__") else [value]
    if isinstance(values, str | bytes):
        values = [values]
    return [float(v) for v in values]


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _voi_source(ds: Dataset) -> Any:
    """The element holding the VOI attributes: the file itself, or the shared functional groups
    of enhanced multi-frame objects (breast tomosynthesis, enhanced MR/CT)."""
    if "WindowCenter" in ds or "VOILUTSequence" in ds:
        return ds
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared and "FrameVOILUTSequence" in shared[0]:
        return shared[0].FrameVOILUTSequence[0]
    return ds


def _windows(ds: Dataset) -> tuple[tuple[Window, ...], str]:
    source = _voi_source(ds)
    centres = _numbers(source.get("WindowCenter"))
    widths = _numbers(source.get("WindowWidth"))
    names = _texts(source.get("WindowCenterWidthExplanation"))
    windows = []
    for i, (centre, width) in enumerate(zip(centres, widths, strict=False)):
        if width <= 0 or not math.isfinite(centre + width):
            continue
        name = names[i] if i < len(names) and names[i] else f"Window {i + 1}"
        windows.append(Window(centre, width, name))
    function = str(source.get("VOILUTFunction") or "LINEAR").upper()
    return tuple(windows), function if function in VOI_FUNCTIONS else "LINEAR"


def _lut_data(item: Any) -> tuple[int, int, list[int]]:
    entries, first, bits = (int(v) for v in item.LUTDescriptor)
    raw = item.LUTData
    if isinstance(raw, bytes):
        data = np.frombuffer(raw, dtype="<u2" if bits > 8 else "u1").tolist()
    else:
        data = [int(v) for v in raw] if hasattr(raw, "__iter__") else [int(raw)]
    return first, bits, data[: entries or 65536]


def _voi_lut(ds: Dataset) -> dict[str, Any] | None:
    sequence = _voi_source(ds).get("VOILUTSequence")
    if not sequence:
        return None
    first, bits, data = _lut_data(sequence[0])
    return {"first": first, "bits": bits, "data": data}


def _value_range(ds: Dataset) -> tuple[float, float, bool]:
    """Lowest and highest modality value the stored bits allow, and whether they are whole."""
    if "ModalityLUTSequence" in ds:
        _first, bits, _data = _lut_data(ds.ModalityLUTSequence[0])
        return 0.0, float(2**bits - 1), True
    bits = int(ds.get("BitsStored") or ds.get("BitsAllocated") or 8)
    signed = int(ds.get("PixelRepresentation") or 0) == 1
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    slope = float(ds.get("RescaleSlope") or 1)
    intercept = float(ds.get("RescaleIntercept") or 0)
    ends = sorted((low * slope + intercept, high * slope + intercept))
    return ends[0], ends[1], slope.is_integer() and intercept.is_integer()


def describe(ds: Dataset, max_pixels: int) -> DicomInfo:
    """The display attributes; refuses files without pixels or too large to decode."""
    if "PixelData" not in ds and "FloatPixelData" not in ds:
        raise UnreadableDicom("the DICOM file has no image (no Pixel Data)")
    rows, columns = int(ds.get("Rows") or 0), int(ds.get("Columns") or 0)
    frames = int(ds.get("NumberOfFrames") or 1)
    samples = int(ds.get("SamplesPerPixel") or 1)
    if rows <= 0 or columns <= 0 or not 1 <= frames <= MAX_FRAMES:
        raise UnreadableDicom(
            f"the DICOM image has no usable size ({columns} x {rows}, {frames} frames)"
        )
    # The header states the decoded size before anything is decompressed: a small compressed
    # file claiming a huge image is refused here (a decompression bomb).
    if rows * columns * samples > max_pixels:
        raise UnreadableDicom(
            f"the DICOM image is {columns} x {rows} x {samples} samples, more than "
            f"TRUTHSET_DICOM_MAX_PIXELS ({max_pixels}) per frame"
        )
    photometric = str(ds.get("PhotometricInterpretation") or "MONOCHROME2").upper()
    color = samples > 1 or photometric == "PALETTE COLOR"
    low, high, whole = _value_range(ds)
    span = high - low
    scale = 1.0 if whole and span <= 65535 else max(span, 1e-12) / 65535
    windows, function = _windows(ds)
    return DicomInfo(
        width=columns,
        height=rows,
        frames=frames,
        color=color,
        photometric=photometric,
        invert=photometric == "MONOCHROME1",
        offset=low,
        scale=scale,
        windows=() if color else windows,
        voi_function=function,
        voi_lut=None if color else _voi_lut(ds),
        transfer_syntax=str(ds.file_meta.get("TransferSyntaxUID", "")),
    )


def stored_frame(ds: Dataset, info: DicomInfo, index: int) -> np.ndarray:
    """The frame's stored values as pydicom decodes them (colour converted to RGB)."""
    from pydicom.pixels.utils import pixel_array

    if not 0 <= index < info.frames:
        raise Invalid(f"frame {index} does not exist; the image has {info.frames}")
    try:
        arr: np.ndarray = pixel_array(ds, index=index) if info.frames > 1 else ds.pixel_array
    except (ValueError, RuntimeError, NotImplementedError) as error:
        syntax = info.transfer_syntax or "unknown"
        raise UnreadableDicom(
            f"cannot decode the DICOM pixels (transfer syntax {syntax}): {error}"
        ) from error
    return arr


def raw_frame(ds: Dataset, info: DicomInfo, index: int) -> np.ndarray:
    """Grey frames as uint16 raw values (see the module docstring); colour frames as RGB uint8."""
    arr = stored_frame(ds, info, index)
    if info.color:
        return _rgb8(ds, arr)
    if "ModalityLUTSequence" not in ds and info.scale == 1:
        # Whole slope and intercept: integer arithmetic (a float copy of a 20-megapixel frame
        # costs seconds).
        slope = int(float(ds.get("RescaleSlope") or 1))
        shift = int(float(ds.get("RescaleIntercept") or 0) - info.offset)
        if slope == 1 and shift == 0 and arr.dtype == np.uint16:
            return arr
        values = arr.astype(np.int32)
        if slope != 1:
            values *= slope
        values += shift
        return np.clip(values, 0, 65535).astype(np.uint16)
    from pydicom.pixels.processing import apply_modality_lut

    modality = apply_modality_lut(arr, ds).astype(np.float64)
    return np.clip(np.rint((modality - info.offset) / info.scale), 0, 65535).astype(np.uint16)


def _rgb8(ds: Dataset, arr: np.ndarray) -> np.ndarray:
    """RGB at 8 bits a sample: wider samples scaled from their stored bits (a palette's output
    from its own width)."""
    bits = int(ds.get("BitsStored") or 8)
    if str(ds.get("PhotometricInterpretation", "")).upper() == "PALETTE COLOR":
        from pydicom.pixels.processing import apply_color_lut

        arr = apply_color_lut(arr, ds)
        bits = arr.dtype.itemsize * 8
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    if arr.dtype != np.uint8:
        arr = (arr.astype(np.float32) * (255 / (2**bits - 1))).round().clip(0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr[..., :3])


def tag_values(ds: Dataset, keywords: list[str]) -> dict[str, str]:
    """The tags a job chose to show workers (show_dicom_tags), as text; absent ones left out."""
    shown = {}
    for keyword in keywords:
        element = ds.get(keyword)
        if element is not None and not isinstance(element, bytes):
            shown[keyword] = str(element)
    return shown


def check_keywords(keywords: Any, where: str) -> list[str]:
    """show_dicom_tags: DICOM keywords such as ["ViewPosition", "ImageLaterality"]."""
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise Invalid(f"{where} must be a list of DICOM keywords such as ViewPosition")
    from_keyword = _pydicom().datadict.tag_for_keyword
    unknown = [k for k in keywords if from_keyword(k) is None]
    if unknown:
        raise Invalid(f"{where}: {unknown[0]!r} is not a DICOM keyword (e.g. ViewPosition)")
    if "PixelData" in keywords:
        raise Invalid(f"{where}: PixelData is shown as the image, not as a tag")
    return list(dict.fromkeys(keywords))
