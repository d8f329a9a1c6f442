"""Exports for training: a job's labels written in the formats training code reads (COCO, YOLO,
Pascal VOC, CSV, JSON Lines, Hugging Face datasets, spaCy DocBin, CoNLL), one module per format
family. `export_job` is the one entry point every front door (CLI, REST, console) calls."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from truthset.deployment import Deployment
from truthset.errors import Invalid
from truthset.exports import coco, huggingface, ner, tabular, voc, yolo
from truthset.exports.records import ExportJob, LabeledObject, labeled_objects
from truthset.jobs import describe_job

# Verification jobs label each object good or bad: one class per object, as classification.
CLASSIFICATION = (
    "image-classification",
    "image-classification-multilabel",
    "text-classification",
    "text-classification-multilabel",
    "bounding-box-verification",
    "semantic-segmentation-verification",
)
BOXES = ("bounding-box", "bounding-box-adjustment")
MASKS = ("semantic-segmentation", "semantic-segmentation-adjustment")
NER = ("named-entity-recognition",)
PROGRESS_EVERY = 1_000

Writer = Callable[[Deployment, ExportJob, Iterator[LabeledObject], Path], int]


@dataclass(frozen=True)
class Format:
    name: str
    task_types: tuple[str, ...]
    write: Writer
    description: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "coco", (*BOXES, "polygon", *MASKS, "keypoint"), coco.write, "COCO annotations.json"
        ),
        Format("yolo", (*BOXES, "polygon"), yolo.write, "YOLO labels/*.txt and data.yaml"),
        Format("voc", BOXES, voc.write, "Pascal VOC Annotations/*.xml"),
        Format("csv", CLASSIFICATION, tabular.write_csv, "labels.csv"),
        Format("jsonl", CLASSIFICATION, tabular.write_jsonl, "labels.jsonl"),
        Format(
            "hf",
            (*CLASSIFICATION, *BOXES, *NER),
            huggingface.write,
            "datasets.load_from_disk folder",
        ),
        Format("spacy", NER, ner.write_docbin, "spaCy DocBin *.spacy"),
        Format("conll", NER, ner.write_conll, "CoNLL-2003 labels.conll"),
    )
}


@dataclass(frozen=True)
class ExportResult:
    job: str
    format: str
    folder: Path
    objects: int


def check_format(task_type: str, name: str) -> Format:
    """The format, or Invalid saying which formats this task type can be exported to."""
    fmt = FORMATS.get(name)
    if fmt is None:
        raise Invalid(f"unknown export format {name!r}; known: {', '.join(FORMATS)}")
    if task_type not in fmt.task_types:
        fits = [f.name for f in FORMATS.values() if task_type in f.task_types]
        raise Invalid(
            f"the {name} format does not apply to {task_type} jobs; "
            + (f"use {', '.join(fits)}" if fits else "no export format applies to it")
        )
    return fmt


def export_job(
    dep: Deployment,
    name: str,
    format_name: str,
    folder: Path,
    min_confidence: float | None = None,
    progress: Callable[[int], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> ExportResult:
    """Writes the job's labels in the format into `folder` (created; files in it of the same
    names are replaced). Objects whose confidence is under `min_confidence` are left out. The
    files appear whole or not at all: they are written beside and moved in at the end.
    `progress` is told the number of objects written so far, every `progress_every` objects."""
    info = describe_job(dep, name)
    fmt = check_format(info.task_type, format_name)
    if min_confidence is not None and not 0 <= min_confidence <= 1:
        raise Invalid(f"--min-confidence must be from 0 to 1, got {min_confidence}")
    job = ExportJob(info.id, info.name, info.task_type, info.label_attribute_name, info.labels)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".export-") as work:
        objects = _counted(labeled_objects(dep, job, min_confidence), progress, progress_every)
        count = fmt.write(dep, job, objects, Path(work))
        for item in sorted(Path(work).iterdir()):
            target = folder / item.name
            if target.is_dir():
                shutil.rmtree(target)
            item.replace(target)
    return ExportResult(info.name, fmt.name, folder, count)


def _counted(
    objects: Iterator[LabeledObject], progress: Callable[[int], None] | None, every: int
) -> Iterator[LabeledObject]:
    for count, record in enumerate(objects, 1):
        yield record
        if progress is not None and count % every == 0:
            progress(count)


__all__ = ["FORMATS", "ExportResult", "check_format", "export_job"]
