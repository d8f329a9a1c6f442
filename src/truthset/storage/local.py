"""Local files, confined to the allowed data roots."""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from truthset.errors import Invalid, StorageError

# A write goes to `.<name>.<random>.tmp` beside its file and is renamed over it when complete.
TEMP_SUFFIX = ".tmp"


class LocalStorage:
    def __init__(self, roots: list[Path]) -> None:
        self.roots = [str(root.resolve()) for root in roots]
        self._real_dirs: dict[str, str] = {}
        self._made_dirs: dict[str, str] = {}  # folders writes went to, by given path

    def _raw(self, uri: str) -> str:
        raw = unquote(urlsplit(uri).path) if uri.startswith("file://") else uri
        if "\x00" in raw:
            # No file name can hold one; the operating system refuses the path outright.
            raise Invalid(f"{uri!r}: contains a NUL character, which no file path can hold")
        if not os.path.isabs(raw):
            raise Invalid(f"{uri}: must be an absolute path, a file:// URI or an s3:// URI")
        return raw

    def _check_inside(self, uri: str, real: str) -> None:
        if not any(
            real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots
        ):
            roots = ", ".join(self.roots)
            raise Invalid(
                f"{uri} is outside the allowed data roots ({roots}); "
                "add its folder to TRUTHSET_DATA_ROOTS"
            )

    def path(self, uri: str) -> Path:
        """The real path behind a URI, after following symlinks; refused outside the roots.
        Every read and write goes through this full check."""
        real = os.path.realpath(self._raw(uri))
        self._check_inside(uri, real)
        return Path(real)

    def check_readable(self, uri: str) -> None:
        """The check used on every manifest line: the folder's real path (remembered per
        folder) must lie inside the roots, and so must the target of a file that is a symlink
        (one lstat per line). A link made later is caught by `path`, which every read uses."""
        folder, name = os.path.split(os.path.normpath(self._raw(uri)))
        real = self._real_dirs.get(folder)
        if real is None:
            if len(self._real_dirs) > 10_000:
                self._real_dirs.clear()
            real = self._real_dirs[folder] = os.path.realpath(folder)
        inside = os.path.join(real, name)
        self._check_inside(uri, inside)
        try:
            is_link = stat.S_ISLNK(os.lstat(inside).st_mode)
        except OSError:
            return  # missing now: the media route fails the object when it is read
        if is_link:
            self.path(uri)

    def check_writable(self, uri: str) -> None:
        self.path(uri)

    def read_bytes(self, uri: str) -> bytes:
        path = self.path(uri)
        try:
            return path.read_bytes()
        except OSError as error:
            raise StorageError(f"cannot read {uri}: {error.strerror or error}") from error

    def read_head(self, uri: str, size: int) -> bytes:
        with self.open_read(uri) as handle:
            return handle.read(size)

    @contextmanager
    def open_read(self, uri: str) -> Iterator[BinaryIO]:
        path = self.path(uri)
        try:
            handle = path.open("rb")
        except OSError as error:
            raise StorageError(f"cannot read {uri}: {error.strerror or error}") from error
        with handle:
            yield handle

    def write_bytes(self, uri: str, data: bytes) -> None:
        with self.open_write(uri) as handle:
            handle.write(data)

    def _write_path(self, uri: str) -> Path:
        """Where a write goes: the folder's real path (remembered) joined with the name. The
        name itself is not resolved: the final rename replaces a link there, never follows it."""
        folder, name = os.path.split(os.path.normpath(self._raw(uri)))
        real = self._made_dirs.get(folder)
        if real is None:
            real = os.path.realpath(folder)
            self._check_inside(uri, os.path.join(real, name))
            try:
                os.makedirs(real, exist_ok=True)
            except OSError as error:
                raise StorageError(f"cannot write {uri}: {error.strerror or error}") from error
            if len(self._made_dirs) > 10_000:
                self._made_dirs.clear()
            self._made_dirs[folder] = real
        return Path(real, name)

    @contextmanager
    def open_write(self, uri: str) -> Iterator[BinaryIO]:
        path = self._write_path(uri)
        try:
            fd, temp = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX
            )
        except OSError as error:
            raise StorageError(f"cannot write {uri}: {error.strerror or error}") from error
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
            os.chmod(temp, 0o644)
            # The rename is atomic: readers see the old file or the new one, and a killed process
            # leaves at most a stray temporary file. (Output is derived from the database and is
            # rewritten from it, so it is not fsynced file by file.)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def remove_temporaries(self, prefix: str, older_than: float) -> int:
        """Removes the temporary files of writes that never finished under a folder (a process
        killed mid-write leaves one), if untouched for `older_than` seconds: a write under way in
        another process keeps touching its file. Returns how many were removed."""
        try:
            root = self.path(prefix)
        except Invalid:
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for dirpath, _dirnames, filenames in os.walk(root):
            for name in filenames:
                if not (name.startswith(".") and name.endswith(TEMP_SUFFIX)):
                    continue
                path = os.path.join(dirpath, name)
                try:
                    if os.lstat(path).st_mtime < cutoff:
                        os.unlink(path)
                        removed += 1
                except OSError:
                    continue  # renamed or removed meanwhile
        return removed

    def exists(self, uri: str) -> bool:
        return self.path(uri).exists()

    def list_files(self, prefix: str) -> Iterator[str]:
        root = self.path(prefix)
        if not root.is_dir():
            raise StorageError(f"{prefix} is not a folder")
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath) / name
                # Links out of the roots are skipped rather than followed.
                try:
                    yield str(self.path(str(path)))
                except Invalid:
                    continue
