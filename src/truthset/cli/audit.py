"""audit commands: verify the hash chain, export entries, prune by the retention setting."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated, Literal

import typer

from truthset import audit
from truthset.audit import chain, stream, trail
from truthset.cli.context import deployment, err, out
from truthset.errors import Invalid

audit_app = typer.Typer(help="The audit trail: verify, export, prune.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Check the hash chain: exit code 1 and each break (a deleted or changed entry) when it is
    broken. Prints the head (seq and hash): keep it elsewhere to witness later checks."""
    verdict = chain.verify(deployment(ctx))
    for problem in verdict.problems:
        err.print(f"[bold red]broken:[/] {problem}", soft_wrap=True)
    out.print(
        f"{verdict.checked} entries checked; head {verdict.head_seq} {verdict.head_hash}",
        soft_wrap=True,
    )
    if not verdict.ok:
        raise SystemExit(1)


def _moment(value: str | None, option: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            f"{option}: {value!r} is not an ISO date or time (2026-12-01T08:00)"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@audit_app.command("export")
def audit_export(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="From this UTC date or time (ISO 8601).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Before this UTC date or time.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor (an e-mail address).")] = None,
    action: Annotated[
        str | None, typer.Option(help="Only this action (e.g. media.fetched).")
    ] = None,
    job: Annotated[str | None, typer.Option(help="Only this labeling job.")] = None,
    format: Annotated[Literal["jsonl", "csv"], typer.Option(help="jsonl or csv.")] = "jsonl",
) -> None:
    """Write entries (oldest first, each with its seq and hash) to standard output."""
    dep = deployment(ctx)
    filters = trail.Filters(
        actor=actor,
        action=action,
        job=job,
        since=_moment(since, "--since"),
        until=_moment(until, "--until"),
    )
    audit.record_now(dep, "export.audit", detail={"format": format, "since": since, "until": until})
    chain.seal(dep)  # the export includes itself, sealed
    rows = trail.iterate(dep, filters)
    lines = stream.jsonl(rows) if format == "jsonl" else stream.csv_lines(rows)
    for text in lines:
        sys.stdout.write(text)


@audit_app.command("prune")
def audit_prune(ctx: typer.Context) -> None:
    """Remove entries older than TRUTHSET_AUDIT_RETENTION_DAYS (the runner does this hourly);
    the chain stays verifiable from an anchor."""
    dep = deployment(ctx)
    chain.seal(dep)
    out.print(f"{chain.prune(dep)} entries removed")
