"""Input manifests: JSON Lines, one data object per line (reference section 3.1).

Manifests are streamed line by line, never read whole, so a million-line manifest needs little
memory. Every problem is reported with its 1-based line number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, BinaryIO, TextIO

from truthset.dicom import DICOM_SUFFIXES, is_dicom
from truthset.errors import Invalid, TruthsetError
from truthset.storage.base import Storage, join

MAX_LINE_CHARS = 100_000
MAX_ATTRIBUTE_CHARS = 20_000
# A UTF-8 character takes at most 4 bytes: longer raw lines cannot be valid.
_MAX_LINE_BYTES = MAX_LINE_CHARS * 4 + 2
MAX_REPORTED_PROBLEMS = 100
# DICOM files are shown through their renditions (truthset.dicom), never sent as they are.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", *DICOM_SUFFIXES)
INPUT_KEYS = ("source-ref", "source")
TEXT_SUFFIXES = (".txt", ".csv")
DEFAULT_CSV_COLUMN = "text"
# A line may carry a known answer under this key: a gold question (label name, or a list of
# names for multi-label jobs). Gold objects are mixed into workers' tasks and scored, not labeled.
GOLD_KEY = "truthset-gold"


@dataclass
class ManifestReport:
    objects: int = 0  # data objects to label
    gold: int = 0  # gold questions
    dicom: int = 0  # objects whose source-ref is a DICOM file (counted when asked for)
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0

    def add(self, problem: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(problem)

    def raise_if_bad(self, uri: str) -> None:
        if self.problem_count:
            more = self.problem_count - len(self.problems)
            extra = f" (and {more} more)" if more else ""
            raise Invalid(
                f"{uri}: {self.problem_count} problem(s){extra}; first: {self.problems[0]}",
                self.problems,
            )
        if self.objects == 0:
            empty = (
                "every line is a gold question; nothing to label"
                if self.gold
                else "the manifest is empty"
            )
            raise Invalid(f"{uri}: {empty}")


class _NotJson(ValueError):
    """NaN, Infinity or -Infinity: Python's json module reads them, the JSON standard does not."""


def _refuse_constant(token: str) -> Any:
    raise _NotJson(token)


def read_lines(handle: BinaryIO) -> Iterator[tuple[int, str | None, str | None]]:
    """Yields (line number, text, problem). Text is None when the line cannot be read."""
    number = 0
    pending_blank: list[int] = []
    while True:
        raw = handle.readline(_MAX_LINE_BYTES)
        if not raw:
            break
        number += 1
        if len(raw) == _MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := handle.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield number, None, f"line {number}: longer than {MAX_LINE_CHARS} characters"
            continue
        try:
            text = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            yield number, None, f"line {number}: not UTF-8 text"
            continue
        if not text.strip():
            # Blank lines are only allowed at the very end of the file.
            pending_blank.append(number)
            continue
        for blank in pending_blank:
            yield blank, None, f"line {blank}: empty line; each line must hold one JSON object"
        pending_blank.clear()
        yield number, text, None


def parse_line(
    text: str, number: int, input_keys: tuple[str, ...], check_uri: Callable[[str], None]
) -> dict[str, Any]:
    """Parses and checks one manifest line; raises Invalid naming the line."""
    where = f"line {number}"
    if len(text) > MAX_LINE_CHARS:
        raise Invalid(f"{where}: longer than {MAX_LINE_CHARS} characters")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise Invalid(f"{where}: not valid JSON ({error.msg} at column {error.colno})") from None
    except _NotJson as error:
        raise Invalid(
            f"{where}: {error} is not a JSON number (Python writes it, but JSON readers such as "
            "Ground Truth's refuse it); write null, a number or a string"
        ) from None
    if not isinstance(value, dict):
        raise Invalid(f"{where}: must be a JSON object, not {type(value).__name__}")
    # JSON escapes can encode half a surrogate pair, which no browser or file can carry.
    if "\\ud" in text.lower():
        try:
            json.dumps(value, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise Invalid(f"{where}: contains an unpaired surrogate escape (\\udXXX)") from None
    for key, item in value.items():
        if key.startswith("$"):
            raise Invalid(f"{where}: attribute name {key!r} must not start with '$'")
        if isinstance(item, str) and len(item) > MAX_ATTRIBUTE_CHARS:
            raise Invalid(
                f"{where}: attribute {key!r} is longer than {MAX_ATTRIBUTE_CHARS} characters"
            )
    present = [key for key in input_keys if key in value]
    if not present:
        wanted = " or ".join(repr(k) for k in input_keys)
        raise Invalid(f"{where}: has no {wanted} attribute")
    key = present[0]
    if not isinstance(value[key], str) or not value[key]:
        raise Invalid(f"{where}: {key!r} must be a non-empty string")
    if key == "source-ref":
        try:
            check_uri(value[key])
        except TruthsetError as error:
            raise Invalid(f"{where}: {error.message}") from None
    return value


def iter_objects(
    storage: Storage, uri: str, input_keys: tuple[str, ...] = INPUT_KEYS, check_uris: bool = True
) -> Iterator[tuple[int, str, dict[str, Any] | None, str | None]]:
    """Yields (object id, line text, parsed line or None, problem or None) for every line.
    Without check_uris, media URIs are not checked (the caller checked them already)."""
    check = storage.check_readable if check_uris else _no_check
    with storage.open_read(uri) as handle:
        for number, text, problem in read_lines(handle):
            if text is None:
                yield number - 1, "", None, problem
                continue
            try:
                parsed = parse_line(text, number, input_keys, check)
            except Invalid as error:
                yield number - 1, text, None, error.message
                continue
            yield number - 1, text, parsed, None


def _no_check(_uri: str) -> None:
    return None


def validate(
    storage: Storage,
    uri: str,
    input_keys: tuple[str, ...] = INPUT_KEYS,
    progress: Callable[[int], None] | None = None,
    check_object: Callable[[dict[str, Any]], None] | None = None,
    media: bool = False,
) -> ManifestReport:
    """Checks every line; `check_object` adds the job's own checks (it raises Invalid). With
    `media`, counts the objects that are DICOM files, by name or else by their first bytes
    (one small read per object without a telling name)."""
    report = ManifestReport()
    for object_id, _text, parsed, problem in iter_objects(storage, uri, input_keys):
        if problem is None and parsed is not None and check_object is not None:
            try:
                check_object(parsed)
            except Invalid as error:
                problem = f"line {object_id + 1}: {error.message}"
        if problem is not None:
            report.add(problem)
        elif parsed is not None and GOLD_KEY in parsed:
            report.gold += 1
        else:
            report.objects += 1
            ref = parsed.get("source-ref") if media and parsed is not None else None
            if isinstance(ref, str) and is_dicom(storage, ref):
                report.dicom += 1
        if progress is not None and object_id % 10_000 == 0:
            progress(object_id + 1)
    return report


def create_manifest(storage: Storage, source: str, output: str, column: str | None = None) -> int:
    """Writes a manifest, as Ground Truth's automated data setup does (reference 3.2):

    - a folder: one `{"source-ref": uri}` line per .jpg/.jpeg/.png/.dcm/.dicom under it, and
      per DICOM file of another name (told by its Part 10 preamble), in name order;
    - a `.txt` file: one `{"source": text}` line per line of text (blank lines skipped);
    - a `.csv` file: one `{"source": text}` line per row, from the column named `column`
      (default `text`; the first row names the columns; empty cells skipped).

    Text files are UTF-8, with or without a byte order mark. Returns the number of lines.
    """
    count = 0
    with storage.open_write(output) as handle:
        for line in manifest_lines(storage, source, column):
            handle.write(line)
            count += 1
        if count == 0:
            # Raised inside the write so that no empty manifest is left behind.
            raise Invalid(_nothing_found(source))
    return count


def manifest_lines(storage: Storage, source: str, column: str | None = None) -> Iterator[bytes]:
    """The lines `create_manifest` writes, one by one (see there)."""
    suffix = PurePosixPath(source).suffix.lower()
    if column is not None and suffix != ".csv":
        raise Invalid(f"{source}: a column can only be chosen for a .csv file")
    if suffix in TEXT_SUFFIXES:
        for where, text in _text_items(storage, source, suffix, column):
            yield _source_line(source, where, text)
        return
    for uri in storage.list_files(source):
        # A DICOM file named without .dcm (IM0001) is told by its first bytes.
        if PurePosixPath(uri).suffix.lower() in IMAGE_SUFFIXES or is_dicom(storage, uri):
            yield json.dumps({"source-ref": uri}).encode() + b"\n"


def _nothing_found(source: str) -> str:
    found = {".txt": "no lines of text", ".csv": "no rows with text"}
    suffix = PurePosixPath(source).suffix.lower()
    return f"{source}: {found.get(suffix, 'no .jpg, .jpeg, .png or .dcm files')} found"


@dataclass(frozen=True)
class ManifestPreview:
    first: list[dict[str, Any]]  # the first lines the manifest would have
    count: int  # its lines, counted up to the cap
    more: bool  # counting stopped at the cap


def preview_manifest(
    storage: Storage, source: str, column: str | None = None, shown: int = 10, cap: int = 10_000
) -> ManifestPreview:
    """What `create_manifest` would write, without writing it (the console shows it before a
    job is created). Raises Invalid when nothing would be written."""
    first: list[dict[str, Any]] = []
    count = 0
    for line in manifest_lines(storage, source, column):
        if count == cap:
            return ManifestPreview(first, count, True)
        if len(first) < shown:
            first.append(json.loads(line))
        count += 1
    if count == 0:
        raise Invalid(_nothing_found(source))
    return ManifestPreview(first, count, False)


def dataset_manifest_uri(source: str, now: datetime) -> str:
    """Where the console's automated data setup writes the manifest it builds: as Ground Truth
    does, `dataset-YYMMDDTHHmmSS.manifest` in the folder or prefix (beside a .txt/.csv file)."""
    name = f"dataset-{now:%y%m%dT%H%M%S}.manifest"
    is_file = PurePosixPath(source).suffix.lower() in TEXT_SUFFIXES
    folder = source.rstrip("/").rsplit("/", 1)[0] if is_file else source
    return join(folder, name)


def _source_line(source: str, where: str, text: str) -> bytes:
    if len(text) > MAX_ATTRIBUTE_CHARS:
        raise Invalid(f"{source}: {where} is longer than {MAX_ATTRIBUTE_CHARS} characters")
    line = json.dumps({"source": text}, ensure_ascii=False)
    if len(line) > MAX_LINE_CHARS:
        raise Invalid(f"{source}: {where} is longer than {MAX_LINE_CHARS} characters as JSON")
    return line.encode() + b"\n"


def _text_items(
    storage: Storage, source: str, suffix: str, column: str | None
) -> Iterator[tuple[str, str]]:
    """(where, text) of every item of a .txt or .csv file; `where` names its line or row."""
    with storage.open_read(source) as handle:
        # newline="": line ends are kept for the csv module, which handles quoted newlines.
        reader = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        items = _txt_lines(reader) if suffix == ".txt" else _csv_cells(source, reader, column)
        try:
            yield from items
        except UnicodeDecodeError:
            raise Invalid(f"{source}: not UTF-8 text") from None
        except csv.Error as error:
            raise Invalid(f"{source}: not a readable CSV file ({error})") from None
        finally:
            reader.detach()


def _txt_lines(reader: TextIO) -> Iterator[tuple[str, str]]:
    for number, raw in enumerate(reader, 1):
        text = raw.rstrip("\r\n")
        if text.strip():
            yield f"line {number}", text


def _csv_cells(source: str, reader: TextIO, column: str | None) -> Iterator[tuple[str, str]]:
    rows = csv.reader(reader)
    header = next(rows, None)
    if header is None:
        return
    wanted = DEFAULT_CSV_COLUMN if column is None else column
    if wanted not in header:
        names = ", ".join(repr(name) for name in header)
        raise Invalid(
            f"{source}: no column named {wanted!r}; the columns are {names} "
            "(choose one with --column)"
        )
    index = header.index(wanted)
    for number, row in enumerate(rows, 2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if index >= len(row):
            raise Invalid(f"{source}: row {number} has no {wanted!r} cell")
        if row[index].strip():
            yield f"row {number}", row[index]
