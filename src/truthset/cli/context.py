"""What every command needs: the settings (environment plus global flags) and errors as exit codes."""

from __future__ import annotations

import getpass
import sys
from typing import Any

import typer
from rich.console import Console, ConsoleDimensions
from typer._click.core import Context as ClickContext

from truthset.audit import Origin, use_origin
from truthset.client import ApiError
from truthset.deployment import Deployment, open_deployment
from truthset.errors import Invalid, TruthsetError
from truthset.settings import Settings

# Off a terminal (a pipe, a file, a CI log) nothing is wrapped or cut with an ellipsis to fit
# 80 columns: scripts read what is printed there, paths and URLs whole.
UNLIMITED_WIDTH = 100_000


class _Console(Console):
    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        return size if self.is_terminal else ConsoleDimensions(UNLIMITED_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


out = _Console(highlight=False)
err = _Console(stderr=True, highlight=False)


class ErrorsAsExitCodes(typer.core.TyperGroup):
    """Turns domain errors into a one-line message on stderr and exit code 1, never a traceback."""

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except TruthsetError as error:
            err.print(f"[bold red]error:[/] {error.message}", soft_wrap=True)
            if isinstance(error, Invalid) and len(error.problems) > 1:
                for problem in error.problems:
                    err.print(f"  {problem}", soft_wrap=True)
            raise SystemExit(1) from None
        except ApiError as error:  # remote mode: the server's answer
            err.print(f"[bold red]error:[/] {error.message}", soft_wrap=True)
            raise SystemExit(1) from None
        except ValueError as error:  # settings that fail validation
            err.print(f"[bold red]error:[/] {error}", soft_wrap=True)
            raise SystemExit(1) from None


def settings(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    overrides: dict[str, Any] = {k: v for k, v in (root.obj or {}).items() if k != "url"}
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def deployment(ctx: typer.Context) -> Deployment:
    # The CLI acts on the database directly: its audit entries name the operating-system user.
    use_origin(Origin(actor=f"cli:{getpass.getuser()}", address="local"))
    url = (ctx.find_root().obj or {}).get("url")
    if url is not None:
        raise Invalid(
            f"`{ctx.command_path}` acts on the local deployment only; run it without --url"
        )
    dep = open_deployment(settings(ctx))
    ctx.call_on_close(dep.db.dispose)
    return dep


def read_secret_stdin() -> str:
    value = sys.stdin.readline().rstrip("\n")
    if not value:
        raise Invalid("no password on standard input")
    return value
