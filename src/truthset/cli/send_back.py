"""`job send-back`: a labeled object goes back to the job's workers for more answers."""

from __future__ import annotations

from typing import Annotated

import typer

from truthset import send_back
from truthset.cli import remote
from truthset.cli.context import deployment, out
from truthset.client import SentBack


def job_send_back(
    ctx: typer.Context,
    name: str,
    object_id: Annotated[
        int, typer.Argument(help="The data object's id (its manifest line, from 0).")
    ],
    answers: Annotated[
        int, typer.Option(help="How many more answers to ask for (workers who have not had it).")
    ] = 1,
) -> None:
    """Send a labeled object back for more answers: it opens again for workers of the team who
    have not been given it, its label (and any admin override) is cleared until the new answers
    are consolidated with the earlier ones; a Completed job goes back to InProgress."""
    sent: send_back.SentBack | SentBack
    if (server := remote.client(ctx)) is not None:
        sent = server.send_back(name, object_id, answers)
    else:
        sent = send_back.send_back(deployment(ctx), name, object_id, answers)
    out.print(
        f"object {sent.object_id} of job {sent.job} is offered for {sent.wanted} answers "
        f"(it has {sent.answers}); the job is {sent.job_status}",
        soft_wrap=True,
    )


def register(job_app: typer.Typer) -> None:
    job_app.command("send-back")(job_send_back)
