"""Picks the backend for a URI by its scheme."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import BinaryIO

from truthset.errors import Invalid
from truthset.settings import Settings
from truthset.storage.base import Storage
from truthset.storage.local import LocalStorage
from truthset.storage.s3 import S3Storage


class StorageRouter:
    def __init__(self, local: LocalStorage, s3: S3Storage | None = None) -> None:
        self.local = local
        self.s3 = s3

    def backend(self, uri: str) -> Storage:
        if uri.startswith("s3://"):
            if self.s3 is None:
                raise Invalid(f"{uri}: S3 storage is not configured")
            return self.s3
        if "://" in uri and not uri.startswith("file://"):
            raise Invalid(f"{uri}: unsupported scheme; use a local path, file:// or s3://")
        return self.local

    def read_bytes(self, uri: str) -> bytes:
        return self.backend(uri).read_bytes(uri)

    def read_head(self, uri: str, size: int) -> bytes:
        return self.backend(uri).read_head(uri, size)

    def open_read(self, uri: str) -> AbstractContextManager[BinaryIO]:
        return self.backend(uri).open_read(uri)

    def write_bytes(self, uri: str, data: bytes) -> None:
        self.backend(uri).write_bytes(uri, data)

    def open_write(self, uri: str) -> AbstractContextManager[BinaryIO]:
        return self.backend(uri).open_write(uri)

    def exists(self, uri: str) -> bool:
        return self.backend(uri).exists(uri)

    def list_files(self, prefix: str) -> Iterator[str]:
        return self.backend(prefix).list_files(prefix)

    def check_readable(self, uri: str) -> None:
        self.backend(uri).check_readable(uri)

    def check_writable(self, uri: str) -> None:
        self.backend(uri).check_writable(uri)

    def remove_temporaries(self, prefix: str, older_than: float) -> int:
        """Leftovers of interrupted writes (local temporary files; S3 leaves none)."""
        return self.backend(prefix).remove_temporaries(prefix, older_than)

    def presigned_url(self, uri: str, seconds: int) -> str | None:
        """A presigned S3 GET URL for an s3:// object; None for local files (they are proxied)."""
        if not uri.startswith("s3://") or self.s3 is None:
            return None
        return self.s3.presigned_url(uri, seconds)


def make_storage(settings: Settings) -> StorageRouter:
    return StorageRouter(LocalStorage(settings.allowed_roots), S3Storage(settings))
