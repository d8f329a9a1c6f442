"""Renditions of DICOM objects for the viewer, cached per object in the data dir.

The first request for an object decodes the frame once and keeps, under
<data_dir>/dicom-cache/<hash of the URI>/:

- info.json        the display attributes (pixels.DicomInfo) and the image's own value range;
- frame-N.npy      the frame at full resolution (uint16 raw grey, or RGB), memory-mapped for
                   the crops the viewer asks for when the worker zooms in;
- display-N.bin    a copy whose longest side is at most DISPLAY_SIDE, which the viewer shows
                   first (uint16 little-endian grey, or a PNG for colour);
- frame-N.png      an 8-bit PNG under the default window, for templates that show the URL in
                   a plain <img>.

The cache is bounded: past `max_bytes`, the objects used longest ago are removed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from truthset.dicom import pixels, windowing
from truthset.dicom.pixels import DicomInfo
from truthset.errors import Invalid

# The first display's longest side. 1,280 px fills the stage of a laptop or desktop screen at
# zoom 1; past 1.25 screen pixels per display pixel (zoom, high-DPI screens) the viewer loads a
# sharper crop of the full-resolution frame (part=region). A 4,000 x 5,000 mammogram's display
# copy is then 1,000 x 1,250 (2.5 MB) instead of 1,334 x 1,667 (4.4 MB) at 2,048: less to send,
# to window in the browser, and to write at the first lease (benchmarks/dicom.py).
DISPLAY_SIDE = 1280
MAX_REGION_PIXELS = 16_000_000
_LOCKS = [threading.Lock() for _ in range(64)]
_FULL_LOCKS = [threading.Lock() for _ in range(64)]

Reader = Callable[[], bytes]


@dataclass(frozen=True)
class Region:
    """A crop (x, y, w, h) of a frame, in original pixels, scaled to rw x rh."""

    x: int
    y: int
    w: int
    h: int
    rw: int
    rh: int


def display_size(info: DicomInfo) -> tuple[int, int]:
    factor = _display_factor(info)
    return -(-info.width // factor), -(-info.height // factor)


def _display_factor(info: DicomInfo) -> int:
    # A whole factor: the display copy is cut by striding (display_reduce), which keeps a
    # 20-megapixel frame's first display fast.
    return max(1, -(-max(info.width, info.height) // DISPLAY_SIDE))


def _write_atomic(path: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temp, path)


def _npy_bytes(arr: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, arr, allow_pickle=False)
    return buffer.getvalue()


def _png(arr: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    # Fast compression: the PNG is made while a worker waits; no metadata chunks are written.
    Image.fromarray(arr).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def display_reduce(arr: np.ndarray, factor: int) -> np.ndarray:
    """One pixel per factor x factor block: the mean of its 4 corner samples.
    Close to the block's mean, at the cost of striding (a full box filter of a 20-megapixel
    frame takes most of the first display's time budget)."""
    if factor == 1:
        return arr
    taps = [0, factor - 1]  # centred on the block
    h, w = -(-arr.shape[0] // factor), -(-arr.shape[1] // factor)
    total = np.zeros((h, w, *arr.shape[2:]), dtype=np.uint32)
    for oy in taps:
        band = arr[np.minimum(np.arange(h) * factor + oy, arr.shape[0] - 1)]
        for ox in taps:
            total += band[:, np.minimum(np.arange(w) * factor + ox, arr.shape[1] - 1)]
    result: np.ndarray = (total // len(taps) ** 2).astype(arr.dtype)
    return result


class DicomRenditions:
    def __init__(self, root: Path, max_bytes: int, max_pixels: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels

    def _folder(self, uri: str) -> Path:
        return self.root / hashlib.sha256(uri.encode()).hexdigest()[:40]

    def _lock(self, uri: str, full: bool = False) -> threading.Lock:
        """The lock of an object's display renditions, or of its full-resolution frames."""
        locks = _FULL_LOCKS if full else _LOCKS
        return locks[hash(uri) % len(locks)]

    def ready(self, uri: str, frame: int = 0) -> bool:
        """Whether the first display of a frame is cached (its info and display copy)."""
        folder = self._folder(uri)
        return (folder / "info.json").exists() and (folder / f"display-{frame}.bin").exists()

    def info(self, uri: str, read: Reader) -> dict[str, Any]:
        """The viewer's description of the object; prepares frame 0 on first use."""
        folder = self._folder(uri)
        path = folder / "info.json"
        if not path.exists():
            self._prepare(uri, 0, read)
        os.utime(folder)
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def _stored_info(self, folder: Path) -> DicomInfo:
        return DicomInfo.from_json(json.loads((folder / "info.json").read_text())["info"])

    def _prepare(self, uri: str, frame: int, read: Reader) -> None:
        """Decodes one frame and writes its renditions (once, even under concurrent calls).
        The display copy and info.json come first; the full-resolution frame is written
        after the display lock is handed over to the full-frame lock, so the first display
        does not wait for it (crops do, on that lock)."""
        folder = self._folder(uri)
        display_lock, full_lock = self._lock(uri), self._lock(uri, full=True)
        with display_lock:
            if (folder / f"display-{frame}.bin").exists() and (folder / "info.json").exists():
                return
            info, raw = self._decode(uri, frame, read)
            folder.mkdir(parents=True, exist_ok=True)
            display = display_reduce(raw, _display_factor(info))
            body = _png(display) if info.color else display.astype("<u2").tobytes()
            _write_atomic(folder / f"display-{frame}.bin", body)
            if not (folder / "info.json").exists():
                self._write_info(folder, info, display)
            full_lock.acquire()
        try:
            _write_atomic(folder / f"frame-{frame}.npy", _npy_bytes(raw))
        finally:
            full_lock.release()
        self._evict(keep=folder)

    def _decode(self, uri: str, frame: int, read: Reader) -> tuple[DicomInfo, np.ndarray]:
        ds = pixels.read_dataset(read())
        info = pixels.describe(ds, self.max_pixels)
        return info, pixels.raw_frame(ds, info, frame)

    def _write_info(self, folder: Path, info: DicomInfo, display: np.ndarray) -> None:
        width, height = display_size(info)
        described = {"info": info.as_json(), "display": {"width": width, "height": height}}
        if not info.color:
            described["auto"] = windowing.auto_window(display, info).__dict__
        _write_atomic(folder / "info.json", json.dumps(described).encode())

    def display(self, uri: str, frame: int, read: Reader) -> bytes:
        """The display copy of a frame (uint16 grey, or PNG for colour)."""
        path = self._folder(uri) / f"display-{frame}.bin"
        if not path.exists():
            self._prepare(uri, frame, read)
        return path.read_bytes()

    def _full(self, uri: str, frame: int, read: Reader) -> tuple[DicomInfo, np.ndarray]:
        folder = self._folder(uri)
        path = folder / f"frame-{frame}.npy"
        if not (folder / f"display-{frame}.bin").exists() or not (folder / "info.json").exists():
            self._prepare(uri, frame, read)
        with self._lock(uri, full=True):
            if not path.exists():  # evicted, or an older cache: decoded again
                _info, raw = self._decode(uri, frame, read)
                _write_atomic(path, _npy_bytes(raw))
        arr: np.ndarray = np.load(path, mmap_mode="r", allow_pickle=False)
        return self._stored_info(folder), arr

    def region(self, uri: str, frame: int, region: Region, read: Reader) -> bytes:
        """A crop at up to full resolution (uint16 grey, or PNG for colour)."""
        info, full = self._full(uri, frame, read)
        r = region
        if r.w <= 0 or r.h <= 0 or r.x < 0 or r.y < 0 or r.x + r.w > info.width:
            raise Invalid("the region lies outside the image")
        if r.y + r.h > info.height or min(r.rw, r.rh) <= 0 or r.rw * r.rh > MAX_REGION_PIXELS:
            raise Invalid("the region lies outside the image or is too large")
        if r.rw > r.w or r.rh > r.h:
            raise Invalid("a region is never scaled up (rw <= w, rh <= h)")
        crop = np.asarray(full[r.y : r.y + r.h, r.x : r.x + r.w])
        if (r.rw, r.rh) != (r.w, r.h):
            crop = np.asarray(Image.fromarray(crop).resize((r.rw, r.rh), Image.Resampling.BOX))
        return _png(crop) if info.color else crop.astype("<u2").tobytes()

    def png(self, uri: str, frame: int, read: Reader) -> bytes:
        """The frame at full resolution as an 8-bit PNG under the default window."""
        path = self._folder(uri) / f"frame-{frame}.png"
        if path.exists():
            return path.read_bytes()
        info, full = self._full(uri, frame, read)
        raw = np.asarray(full)
        if not info.color:
            raw = windowing.to_grey8(raw, windowing.default_table(info, raw))
        body = _png(raw)
        _write_atomic(path, body)
        return body

    def _evict(self, keep: Path) -> None:
        """Removes the objects used longest ago while the cache is over its size."""
        try:
            folders = [f for f in self.root.iterdir() if f.is_dir()]
        except FileNotFoundError:
            return
        sizes = {f: sum(p.stat().st_size for p in f.iterdir()) for f in folders}
        total = sum(sizes.values())
        for folder in sorted(folders, key=lambda f: f.stat().st_mtime):
            if total <= self.max_bytes:
                break
            if folder != keep:
                shutil.rmtree(folder, ignore_errors=True)
                total -= sizes[folder]
