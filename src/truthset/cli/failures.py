"""`job failures`: a job's failed objects (FailedNonRetryableError), from the local deployment
or, with --url, from a server's REST API: the same list as failures.jsonl."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from truthset import failures
from truthset.cli import remote
from truthset.cli.context import deployment, out
from truthset.jobs import describe_job

FIELDS = ("object_id", "source", "source_ref", "step", "attempts", "failed_at", "reason")


def register(job_app: typer.Typer) -> None:
    job_app.command("failures")(job_failures)


def job_failures(
    ctx: typer.Context,
    name: str,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per failed object.")
    ] = False,
) -> None:
    """List a job's failed objects: data object id, source or source-ref, the step that
    failed (pre-annotation hook, post-annotation hook, media, output, intake, labeling),
    attempts, when, and the reason."""
    if (server := remote.client(ctx)) is not None:
        rows = [_row(failed) for failed in server.failures(name)]
    else:
        dep = deployment(ctx)
        job = describe_job(dep, name)
        rows = [_row(failed) for failed in failures.failed_objects(dep, job.id, limit=None)]
    if as_json:
        for row in rows:
            out.print(json.dumps(row, ensure_ascii=False), soft_wrap=True, markup=False)
        return
    _show(rows)


def _row(failed: Any) -> dict[str, Any]:
    """The fields both a local FailedObject and the client's Failure have, as JSON values."""
    row = {field: getattr(failed, field) for field in FIELDS}
    moment = row["failed_at"]
    row["failed_at"] = moment.isoformat() + "Z" if isinstance(moment, datetime) else None
    return row


def _show(rows: Iterable[dict[str, Any]]) -> None:
    table = Table("object", "source", "step", "attempts", "failed at", "reason", box=None)
    for row in rows:
        table.add_row(
            str(row["object_id"]),
            row["source_ref"] or row["source"] or "-",
            row["step"],
            str(row["attempts"]),
            row["failed_at"] or "-",
            row["reason"],
        )
    out.print(table)
