"""The storage interface every backend implements."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import BinaryIO, Protocol


class Storage(Protocol):
    """Reads and writes objects named by URI: an absolute local path, file://, or s3://.

    Writes are atomic: a reader sees the old object or the whole new one, never part of it.
    Errors are `truthset.errors.StorageError` (or `Invalid` for a URI that is not allowed)
    with a message that names the URI.
    """

    def read_bytes(self, uri: str) -> bytes: ...

    def read_head(self, uri: str, size: int) -> bytes:
        """The object's first `size` bytes (all of it when it is shorter), reading no more:
        what the file is can often be told from its head (a DICOM file's preamble)."""
        ...

    def open_read(self, uri: str) -> AbstractContextManager[BinaryIO]: ...

    def write_bytes(self, uri: str, data: bytes) -> None: ...

    def open_write(self, uri: str) -> AbstractContextManager[BinaryIO]: ...

    def exists(self, uri: str) -> bool: ...

    def list_files(self, prefix: str) -> Iterator[str]:
        """Every object under a folder/prefix, recursively, in name order."""
        ...

    def check_readable(self, uri: str) -> None:
        """Raises unless the URI is allowed (does not touch the object itself)."""
        ...

    def check_writable(self, uri: str) -> None: ...

    def remove_temporaries(self, prefix: str, older_than: float) -> int:
        """Removes what interrupted writes under a folder left behind, if untouched for
        `older_than` seconds; returns how many were removed."""
        ...


def join(base: str, *parts: str) -> str:
    """Joins URI or path parts with single slashes."""
    out = base.rstrip("/")
    for part in parts:
        out = f"{out}/{part.strip('/')}"
    return out


def read_chunks(storage: Storage, uri: str, size: int = 1 << 20) -> Iterator[bytes]:
    """Opens `uri` now (so a missing or refused file raises here, before any response starts)
    and gives its bytes in chunks, closing it when the last is read or the reader stops."""
    opened = storage.open_read(uri)
    handle = opened.__enter__()

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := handle.read(size):
                yield chunk
        finally:
            opened.__exit__(None, None, None)

    return chunks()
