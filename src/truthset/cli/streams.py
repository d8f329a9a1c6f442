"""job add, chain, clone and webhook-secret: objects for running jobs, and jobs made from jobs."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from truthset import chaining
from truthset.cli.context import deployment, out
from truthset.cli.jobs import job_app
from truthset.intake import objects
from truthset.intake.publish import webhook_secret


def job_add(
    ctx: typer.Context,
    name: str,
    manifest: Annotated[
        str,
        typer.Option(
            "--manifest", help="JSON Lines file of new objects (a path, s3://, or - for stdin)."
        ),
    ],
) -> None:
    """Add objects to a running streaming job. Every line is checked first; one bad line adds
    nothing. Lines whose de-duplication id the job has seen are left out."""
    dep = deployment(ctx)
    if manifest == "-":
        data = sys.stdin.buffer.read()
    elif "://" in manifest:
        data = dep.storage.read_bytes(manifest)
    else:
        with open(manifest, "rb") as handle:
            data = handle.read()
    stored = objects.add_lines(dep, name, data)
    out.print(f"{stored.added} objects added to {name}; {stored.duplicates} duplicates left out")


LabelAttributeOpt = Annotated[
    str | None,
    typer.Option(
        help="Label attribute name of the new job. The old one (default) sends only objects "
        "without that label; a new one sends every object."
    ),
]
TeamOpt = Annotated[str | None, typer.Option(help="Work team (default: the old job's).")]
TitleOpt = Annotated[str | None, typer.Option(help="Title shown to workers.")]
DescriptionOpt = Annotated[str | None, typer.Option(help="Short instructions shown to workers.")]
WorkersOpt = Annotated[int | None, typer.Option(help="Workers per object (1-9).")]
ConcurrentOpt = Annotated[int | None, typer.Option(help="Objects out with workers at once.")]


def job_chain(
    ctx: typer.Context,
    old: str,
    new: str,
    label_attribute_name: LabelAttributeOpt = None,
    team: TeamOpt = None,
    title: TitleOpt = None,
    description: DescriptionOpt = None,
    workers_per_object: WorkersOpt = None,
    max_concurrent_tasks: ConcurrentOpt = None,
) -> None:
    """Start a job over an ended job's output manifest, with its configuration."""
    changes = chaining.Changes(
        label_attribute_name, team, title, description, workers_per_object, max_concurrent_tasks
    )
    job = chaining.chain_job(deployment(ctx), old, new, changes, import_now=True)
    out.print(f"job {job.name} chained from {old}; status {job.status}")


def job_clone(
    ctx: typer.Context,
    old: str,
    new: str,
    label_attribute_name: LabelAttributeOpt = None,
    team: TeamOpt = None,
    title: TitleOpt = None,
    description: DescriptionOpt = None,
    workers_per_object: WorkersOpt = None,
    max_concurrent_tasks: ConcurrentOpt = None,
) -> None:
    """Start a job with an earlier job's configuration and input manifest."""
    changes = chaining.Changes(
        label_attribute_name, team, title, description, workers_per_object, max_concurrent_tasks
    )
    job = chaining.clone_job(deployment(ctx), old, new, changes, import_now=True)
    out.print(f"job {job.name} cloned from {old}; status {job.status}")


def job_webhook_secret(ctx: typer.Context, name: str) -> None:
    """Print the key a streaming job's webhook requests are signed with (HMAC-SHA256 of the
    body, in the X-Truthset-Signature header as sha256=<hex>)."""
    out.print(webhook_secret(deployment(ctx), name))


def register() -> None:
    """Adds the commands to `truthset job`."""
    job_app.command("add")(job_add)
    job_app.command("chain")(job_chain)
    job_app.command("clone")(job_clone)
    job_app.command("webhook-secret")(job_webhook_secret)
