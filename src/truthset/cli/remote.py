"""Remote mode: `truthset --url URL ...` acts on a server through truthset.client instead of
the local deployment. The token comes from TRUTHSET_TOKEN (`truthset --url URL login EMAIL`
prints one). The team and job commands that support it call in here."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from truthset.cli.context import out, read_secret_stdin
from truthset.client import Client, Job
from truthset.errors import Invalid

TOKEN_VARIABLE = "TRUTHSET_TOKEN"


def server_url(ctx: typer.Context) -> str | None:
    return (ctx.find_root().obj or {}).get("url")


def client(ctx: typer.Context) -> Client | None:
    """The client for --url, or None when the command acts on the local deployment."""
    url = server_url(ctx)
    if url is None:
        return None
    token = os.environ.get(TOKEN_VARIABLE)
    if not token:
        raise Invalid(
            f"--url needs a token in {TOKEN_VARIABLE}; `truthset --url {url} login EMAIL` prints one"
        )
    opened = Client(url, token)
    ctx.call_on_close(opened.close)
    return opened


def login(
    ctx: typer.Context,
    email: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """With --url: sign in to the server and print a token for TRUTHSET_TOKEN."""
    url = server_url(ctx)
    if url is None:
        raise Invalid("login signs in to a server: truthset --url URL login EMAIL")
    password = read_secret_stdin() if password_stdin else typer.prompt("Password", hide_input=True)
    signed_in = Client.login(url, email, password)
    signed_in.close()
    out.print(signed_in.token or "", soft_wrap=True)


def team_list(remote: Client) -> None:
    table = Table("team", "members", "description", box=None)
    for item in remote.teams():
        table.add_row(item.name, str(item.members), item.description)
    out.print(table)


def team_create(remote: Client, name: str, description: str) -> None:
    out.print(f"team {remote.create_team(name, description).name} created")


def job_create(remote: Client, fields: dict[str, Any]) -> None:
    created = remote.create_job(**fields)
    out.print(f"job {created.name} created with {created.objects} objects; status {created.status}")


def job_list(remote: Client) -> None:
    table = Table("job", "status", "task type", "team", "labeled", "failed", "objects", box=None)
    for item in remote.jobs():
        c = item.counters
        table.add_row(
            item.name,
            item.status,
            item.task_type,
            item.team,
            str(c.total_labeled),
            str(c.failed),
            str(item.objects),
        )
    out.print(table)


def show_job(job: Job) -> None:
    table = Table(box=None, show_header=False)
    c = job.counters
    for key, value in (
        ("name", job.name),
        ("status", job.status),
        ("task type", job.task_type),
        ("team", job.team),
        ("labels", ", ".join(job.labels)),
        ("label attribute", job.label_attribute_name),
        ("workers per object", str(job.workers_per_object)),
        ("objects", str(job.objects)),
        ("manifest", job.manifest),
        ("output manifest", job.output_manifest),
        ("created", f"{job.created_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("TotalLabeled", str(c.total_labeled)),
        ("HumanLabeled", str(c.human_labeled)),
        ("MachineLabeled", str(c.machine_labeled)),
        ("FailedNonRetryableError", str(c.failed)),
        ("Unlabeled", str(c.unlabeled)),
    ):
        table.add_row(key, value)
    if job.failure_reason:
        table.add_row("failure", job.failure_reason)
    out.print(table)


def job_wait(remote: Client, name: str, interval: float) -> None:
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out) as bar:
        step = bar.add_task(name, total=None, status="")
        while True:
            job = remote.job(name)
            bar.update(step, total=job.objects or None, completed=job.done, status=job.status)
            if job.ended:
                break
            time.sleep(interval)
    show_job(job)
    if job.status == "Failed":
        raise typer.Exit(1)


def job_export(
    remote: Client, name: str, format_name: str, folder: Path, min_confidence: float | None
) -> None:
    run = remote.export(name, format_name, folder, min_confidence)
    out.print(f"{run.objects} objects exported as {run.format} to {folder}", soft_wrap=True)


def job_stop(remote: Client, name: str) -> None:
    out.print(f"job {name} is {remote.stop_job(name).status}")
