"""DICOM images in image tasks: decoding (pixels.py), display windows (windowing.py) and the
renditions a worker's browser loads, cached per data object (renditions.py).

The browser never gets the DICOM file: only pixels and the display attributes the viewer needs
(size, frames, windows, photometric interpretation), plus the tags a job lists in
`show_dicom_tags`. pydicom and its decoders are the optional extra `truthset[dicom]`.
"""

from __future__ import annotations

from pathlib import PurePosixPath

DICOM_SUFFIXES = (".dcm", ".dicom")


def is_dicom_uri(uri: str) -> bool:
    """DICOM objects are recognised by name (.dcm, .dicom), as manifest create finds them."""
    return PurePosixPath(uri.split("?", 1)[0]).suffix.lower() in DICOM_SUFFIXES
