"""The VOI transform (window centre and width, or the file's VOI LUT) from raw values to 8-bit
grey, as DICOM PS3.3 C.11.2.1.2 defines it. The viewer (static/crowd/dicom-image.js) builds
the same 65,536-entry table in the browser, so a window chosen there looks as it does here.
"""

from __future__ import annotations

import numpy as np

from truthset.dicom.pixels import DicomInfo, Window

RAW_LEVELS = 65536


def raw_values(info: DicomInfo) -> np.ndarray:
    """The modality value of every raw level."""
    return info.offset + np.arange(RAW_LEVELS, dtype=np.float64) * info.scale


def window_table(info: DicomInfo, window: Window, invert: bool | None = None) -> np.ndarray:
    """raw level -> 8-bit grey under the window (and the file's VOI LUT Function)."""
    x = raw_values(info)
    c, w = window.centre, window.width
    if info.voi_function == "LINEAR_EXACT":
        y = (x - c) / w + 0.5
    elif info.voi_function == "SIGMOID":
        y = 1 / (1 + np.exp(-4 * (x - c) / w))
    else:
        # C.11.2.1.2.1: width 1 is a threshold at the centre.
        y = (x - (c - 0.5)) / max(w - 1, 1e-9) + 0.5
    return _finish(y, info.invert if invert is None else invert)


def lut_table(info: DicomInfo, invert: bool | None = None) -> np.ndarray:
    """raw level -> 8-bit grey through the file's VOI LUT Sequence."""
    lut = info.voi_lut
    assert lut is not None
    data = np.asarray(lut["data"], dtype=np.float64)
    index = np.clip(np.rint(raw_values(info) - lut["first"]), 0, len(data) - 1).astype(np.int64)
    top = float(2 ** int(lut["bits"]) - 1)
    # Some files declare 16 output bits but use fewer; their own largest entry is then white.
    top = min(top, float(data.max()) or 1.0) if data.max() < top / 2 else top
    mapped: np.ndarray = data[index] / top
    return _finish(mapped, info.invert if invert is None else invert)


def _finish(y: np.ndarray, invert: bool) -> np.ndarray:
    grey: np.ndarray = np.clip(np.rint(np.clip(y, 0, 1) * 255), 0, 255).astype(np.uint8)
    if invert:
        grey = 255 - grey
    return grey


def auto_window(raw: np.ndarray, info: DicomInfo) -> Window:
    """A window spanning the image's own values, for files that state none."""
    low, high = (float(v) for v in (raw.min(), raw.max()))
    low, high = info.offset + low * info.scale, info.offset + high * info.scale
    return Window((low + high) / 2, max(high - low, info.scale), "Auto (min–max)")


def default_table(info: DicomInfo, raw: np.ndarray) -> np.ndarray:
    """The table a plain rendition uses: the first window the file states, else its VOI LUT,
    else the image's own range."""
    if info.windows:
        return window_table(info, info.windows[0])
    if info.voi_lut is not None:
        return lut_table(info)
    return window_table(info, auto_window(raw, info))


def to_grey8(raw: np.ndarray, table: np.ndarray) -> np.ndarray:
    result: np.ndarray = table[raw]
    return result
