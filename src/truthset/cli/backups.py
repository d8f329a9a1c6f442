"""backup and restore: a whole deployment to a folder and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from truthset import backups
from truthset.cli.context import out, settings


def backup(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="New or empty folder for the backup.")],
) -> None:
    """Back up the database (an online, consistent copy), the secret key and local job output
    folders. Safe while the server runs."""
    info = backups.create_backup(settings(ctx), folder)
    out.print(f"backed up the {info.database} database (schema {info.revision}) to {folder}")
    for uri in info.outputs.values():
        out.print(f"  output folder {uri}", soft_wrap=True)
    if not (folder / "secret-key").exists():
        out.print("  the secret key comes from TRUTHSET_SECRET_KEY: keep it with the backup")


def restore(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="A folder written by `truthset backup`.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite a database that already has data.")
    ] = False,
) -> None:
    """Restore a backup into this deployment's database, data dir and the jobs' output folders
    (stop the servers first), then apply this version's migrations."""
    info = backups.restore_backup(settings(ctx), folder, replace=replace)
    out.print(f"restored the backup of {info.created_at} ({info.database}, schema {info.revision})")


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
