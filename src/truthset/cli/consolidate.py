"""`truthset consolidate`: classification consolidation of a CSV of answers, without a job.

Register with ``app.command("consolidate")(consolidate)``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from truthset.consolidation import (
    DEFAULT_METHOD,
    METHODS,
    AnswersError,
    UnknownMethod,
    encode_answers,
    encode_gold,
    method_named,
)
from truthset.consolidation.methods import consolidate as run_method
from truthset.consolidation.result import Result


class InputError(Exception):
    """A problem with an input file, already phrased for the user (file and line)."""


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """(line number, values of ``columns``) for each data row of a CSV file with a header."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror})") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise InputError(
                f"{path}: empty file (expected a header: {','.join(columns)})"
            ) from None
        except (csv.Error, UnicodeDecodeError) as error:
            raise InputError(f"{path}:1: unreadable CSV ({error})") from None
        missing = [c for c in columns if c not in header]
        if missing:
            raise InputError(f"{path}:1: missing column {', '.join(missing)} in header")
        where = [header.index(c) for c in columns]
        try:
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) < len(header):
                    raise InputError(f"{path}:{line}: {len(row)} fields, expected {len(header)}")
                values = [row[i].strip() for i in where]
                if not all(values):
                    empty = columns[values.index("")]
                    raise InputError(f"{path}:{line}: empty {empty}")
                yield line, values
        except (csv.Error, UnicodeDecodeError) as error:
            raise InputError(f"{path}:{reader.line_num}: unreadable CSV ({error})") from None


def read_answers(path: Path) -> tuple[list[str], list[str], list[str]]:
    """The answers, keeping only the first one when a worker answered an item twice."""
    items: list[str] = []
    workers: list[str] = []
    labels: list[str] = []
    seen: set[tuple[str, str]] = set()
    for _, (item, worker, label) in _rows(path, ("item", "worker", "label")):
        if (item, worker) in seen:
            continue
        seen.add((item, worker))
        items.append(item)
        workers.append(worker)
        labels.append(label)
    if not items:
        raise InputError(f"{path}: no answers (only a header)")
    return items, workers, labels


def read_gold(path: Path, items: set[str], labels: set[str]) -> dict[str, str]:
    gold: dict[str, str] = {}
    for line, (item, label) in _rows(path, ("item", "label")):
        if label not in labels:
            raise InputError(f"{path}:{line}: label {label!r} appears in no answer")
        if item in gold and gold[item] != label:
            raise InputError(f"{path}:{line}: item {item!r} has two gold labels")
        if item in items:
            gold[item] = label
    return gold


def _fmt(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.4f}"


def write_labels(path: Path, result: Result) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item", "label", "confidence"])
        for item_id, (label_id, confidence) in result.labels_by_item_id().items():
            writer.writerow([item_id, label_id, f"{confidence:.4f}"])


def write_workers(path: Path, result: Result) -> None:
    answers = result.answers
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["worker", "answers", "estimated_accuracy", "gold_accuracy"])
        for w, worker_id in enumerate(answers.worker_ids):
            writer.writerow(
                [
                    worker_id,
                    int(result.worker_answers[w]),
                    _fmt(float(result.worker_accuracy[w])),
                    _fmt(float(result.worker_gold_accuracy[w])),
                ]
            )


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def consolidate(
    answers: Annotated[Path, typer.Argument(help="CSV with columns item,worker,label.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Labels CSV to write.")],
    method: Annotated[
        str, typer.Option(help=f"Method: {', '.join(METHODS)} (default: {DEFAULT_METHOD}).")
    ] = "default",
    gold: Annotated[
        Path | None, typer.Option(help="CSV with columns item,label of known true labels.")
    ] = None,
    workers_out: Annotated[
        Path | None, typer.Option(help="Also write per-worker skill to this CSV.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for breaking ties.")] = 0,
) -> None:
    """Consolidates classification answers into one label and a confidence per item."""
    try:
        method_named(method)
        items, workers, labels = read_answers(answers)
        encoded = encode_answers(items, workers, labels)
        known = read_gold(gold, set(items), set(labels)) if gold else {}
        result = run_method(encoded, method, encode_gold(encoded, known), seed)
        write_labels(output, result)
        if workers_out:
            write_workers(workers_out, result)
    except (InputError, UnknownMethod, AnswersError) as error:
        raise _fail(str(error)) from None
    except OSError as error:
        raise _fail(f"{error.filename}: cannot write ({error.strerror})") from None
    typer.echo(
        f"{encoded.n_items} items, {encoded.n_workers} workers, {encoded.n_answers} answers"
        f" -> {output} ({result.method})"
    )
