"""The root `truthset` command and its global flags."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from truthset.cli import (
    audit,
    backups,
    hooks,
    jobs,
    people,
    plan,
    remote,
    review,
    server,
    streams,
    templates,
)
from truthset.cli.consolidate import consolidate
from truthset.cli.context import ErrorsAsExitCodes

app = typer.Typer(
    cls=ErrorsAsExitCodes,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    help="truthset: labeling jobs with private work teams and Ground Truth-compatible output.",
)


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option(help="Data folder (env TRUTHSET_DATA_DIR).")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="Database URL (env TRUTHSET_DATABASE_URL).")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="Act on this truthset server through its REST API instead of the local "
            "deployment (team list/create, job create/list/describe/wait/stop/export; token "
            "in TRUTHSET_TOKEN, printed by `truthset --url URL login EMAIL`).",
        ),
    ] = None,
) -> None:
    """Acts on the deployment named by the settings; the server need not be running."""
    ctx.obj = {"data_dir": data_dir, "database_url": database_url, "url": url}


server.register(app)
app.command("login")(remote.login)
app.command("consolidate")(consolidate)
people.register(app)
jobs.register(app)
streams.register()
templates.register(app)
hooks.register(app)
backups.register(app)
audit.register(app)
plan.register(app)
review.register(app)


def run() -> None:
    app()


if __name__ == "__main__":
    run()
