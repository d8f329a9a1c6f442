"""DICOM images in image tasks: decoding (pixels.py), display windows (windowing.py) and the
renditions a worker's browser loads, cached per data object (renditions.py).

The browser never gets the DICOM file: only pixels and the display attributes the viewer needs
(size, frames, windows, photometric interpretation), plus the tags a job lists in
`show_dicom_tags`. pydicom and its decoders are the optional extra `truthset[dicom]`.

A file is DICOM when its name says so (.dcm, .dicom) or, whatever its name (scanners and PACS
exports write `IM0001` or UIDs such as `1.2.840.113619.2.55.3`), when it has the Part 10
preamble: 128 bytes, then `DICM` (PS3.10 section 7.1). Telling reads those 132 bytes only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from truthset.errors import TruthsetError

if TYPE_CHECKING:
    from truthset.storage.base import Storage

DICOM_SUFFIXES = (".dcm", ".dicom")
PREAMBLE_BYTES = 128
MAGIC = b"DICM"
HEAD_BYTES = PREAMBLE_BYTES + len(MAGIC)
# Files with these names are something else: no read is needed to tell.
OTHER_SUFFIXES = (
    ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp",
    ".txt", ".csv", ".json", ".jsonl", ".manifest", ".md", ".html", ".zip", ".gz",
)  # fmt: skip
# What earlier reads found, per URI (media URLs are signed on every task page render).
_KNOWN: OrderedDict[str, bool] = OrderedDict()
_KNOWN_MAX = 10_000
_KNOWN_LOCK = threading.Lock()


def _suffix(uri: str) -> str:
    return PurePosixPath(uri.split("?", 1)[0]).suffix.lower()


def is_dicom_uri(uri: str) -> bool:
    """Whether the name says DICOM (.dcm, .dicom)."""
    return _suffix(uri) in DICOM_SUFFIXES


def has_dicom_preamble(head: bytes) -> bool:
    """Whether a file's first bytes are a DICOM Part 10 preamble: `DICM` at offset 128."""
    return head[PREAMBLE_BYTES:HEAD_BYTES] == MAGIC


def is_dicom(storage: Storage, uri: str) -> bool:
    """Whether the object is DICOM, by name or else by content (its first 132 bytes, read
    once per URI and remembered). An object that cannot be read is not DICOM here: whoever
    reads it next reports why."""
    suffix = _suffix(uri)
    if suffix in DICOM_SUFFIXES:
        return True
    if suffix in OTHER_SUFFIXES:
        return False
    with _KNOWN_LOCK:
        known = _KNOWN.get(uri)
    if known is not None:
        return known
    try:
        found = has_dicom_preamble(storage.read_head(uri, HEAD_BYTES))
    except TruthsetError:
        return False
    with _KNOWN_LOCK:
        _KNOWN[uri] = found
        while len(_KNOWN) > _KNOWN_MAX:
            _KNOWN.popitem(last=False)
    return found
