"""`job export`: a job's labels in a training format, written to a local folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from truthset import exports
from truthset.cli import remote
from truthset.cli.context import deployment, out
from truthset.jobs import describe_job

FormatOpt = Annotated[str, typer.Option("--format", help=f"One of {', '.join(exports.FORMATS)}.")]
FolderOpt = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="Folder to write (default: ./<job>-<format>)."),
]
MinConfidenceOpt = Annotated[
    float | None,
    typer.Option(help="Leave out objects whose confidence is under this (0-1)."),
]


def job_export(
    ctx: typer.Context,
    name: str,
    format_name: FormatOpt,
    output: FolderOpt = None,
    min_confidence: MinConfidenceOpt = None,
) -> None:
    """Export a job's labels for training: coco (boxes, polygons, masks, keypoints), yolo
    (boxes, polygons), voc (boxes), csv and jsonl (classification), hf (a Hugging Face
    datasets folder), spacy and conll (named entities)."""
    folder = output or Path(f"{name}-{format_name}")
    if (server := remote.client(ctx)) is not None:
        return remote.job_export(server, name, format_name, folder, min_confidence)
    dep = deployment(ctx)
    if not out.is_terminal:
        result = exports.export_job(dep, name, format_name, folder, min_confidence)
    else:
        labeled = describe_job(dep, name).counters.total_labeled
        columns = (TextColumn("exporting"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=out, transient=True) as bar:
            step = bar.add_task("export", total=labeled or None)
            result = exports.export_job(
                dep,
                name,
                format_name,
                folder,
                min_confidence,
                progress=lambda count: bar.update(step, completed=count),
            )
    out.print(
        f"{result.objects} objects exported as {result.format} to {result.folder}", soft_wrap=True
    )


def register(job_app: typer.Typer) -> None:
    job_app.command("export")(job_export)
