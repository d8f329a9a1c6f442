"""template commands (worker templates stored as human task UIs), and the template and hook
options of `job create`."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from truthset import task_uis
from truthset.cli.context import deployment, err, out
from truthset.deployment import Deployment
from truthset.errors import Invalid, NotFound
from truthset.hooks import targets
from truthset.job_requests import check_origins
from truthset.taskui import (
    MAX_ASSET_BYTES,
    MAX_ASSETS,
    check_template_text,
    relative_assets,
)

template_app = typer.Typer(
    help="Worker templates (SageMaker human task UIs).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(template_app, name="template")


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Invalid(f"{path}: cannot read the {what} ({error})") from None


def files_beside(folder: Path, template: str) -> dict[str, bytes]:
    """The files in `folder` that the template refers to by relative name (as a job template
    given from a folder brings them): only regular files that resolve inside the folder, so
    a symbolic link cannot bring anything from elsewhere."""
    root = folder.expanduser().resolve()
    assets: dict[str, bytes] = {}
    for name in relative_assets(template)[:MAX_ASSETS]:
        beside = (root / name).resolve()
        if beside.is_file() and beside.is_relative_to(root):
            if beside.stat().st_size > MAX_ASSET_BYTES:
                raise Invalid(f"{beside}: template files may be at most {MAX_ASSET_BYTES} bytes")
            assets[name] = beside.read_bytes()
    return assets


def load_template(dep: Deployment, value: str) -> tuple[str, dict[str, bytes]]:
    """`--template`: a Liquid file and the files beside it that it refers to, or the name of a
    stored template with the files stored with it."""
    path = Path(value).expanduser()
    if not path.is_file():
        try:
            stored = task_uis.get_task_ui(dep, value)
        except NotFound:
            raise Invalid(f"--template: {value} is neither a file nor a stored template") from None
        return stored.template, task_uis.task_ui_assets(dep, stored.name)
    template = check_template_text(_read_text(path, "template"), str(path))
    return template, files_beside(path.parent, template)


def custom_job_options(
    dep: Deployment,
    hooks: tuple[str | None, str | None, str | None],
    origins: list[str] | None,
) -> dict[str, Any]:
    """The options of --pre-hook, --post-hook, --gold-hook (in that order) and --allow-origin."""
    options: dict[str, Any] = {}
    for key, value in zip(("pre_hook", "post_hook", "gold_hook"), hooks, strict=True):
        if value:
            spec = targets.from_cli(dep, value, f"--{key.replace('_', '-')}")
            if spec is not None:
                options[key] = spec
    if origins:
        options["allowed_origins"] = check_origins(origins, "--allow-origin")
    return options


@template_app.command("create")
def template_create(
    ctx: typer.Context,
    name: str,
    file: Path,
    assets: Annotated[
        Path | None,
        typer.Option(
            "--assets",
            help="Folder holding the files the template refers to by relative name "
            "(default: the template's own folder).",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Store a Liquid template under a name (its ARN: arn:aws:sagemaker:<region>:<account>:human-task-ui/NAME),
    with the files it refers to by relative name (./style.css, lib/app.js), which every job
    and flow using it then serves to its task frame."""
    template = _read_text(file, "template")
    folder = file.parent if assets is None else assets
    if not folder.is_dir():
        raise Invalid(f"--assets: {folder} is not a folder")
    files = files_beside(folder, check_template_text(template, str(file)))
    created = task_uis.create_task_ui(deployment(ctx), name, template, files)
    stored = f", {len(files)} files: {', '.join(sorted(files))}" if files else ""
    out.print(f"template {created.name} stored ({len(created.template)} characters{stored})")


@template_app.command("list")
def template_list(ctx: typer.Context) -> None:
    """List stored templates."""
    table = Table("template", "characters", "files", "created", box=None)
    for ui in task_uis.list_task_uis(deployment(ctx)):
        table.add_row(
            ui.name,
            str(len(ui.template)),
            ", ".join(ui.assets) or "-",
            f"{ui.created_at:%Y-%m-%d %H:%M:%S} UTC",
        )
    out.print(table)


@template_app.command("delete")
def template_delete(ctx: typer.Context, name: str) -> None:
    """Delete a stored template (jobs made from it keep their copy)."""
    task_uis.delete_task_ui(deployment(ctx), name)
    out.print(f"template {name} deleted")


@template_app.command("preview")
def template_preview(
    ctx: typer.Context,
    name: str,
    input_json: Annotated[
        str,
        typer.Option(
            "--input",
            help="task.input as JSON (a manifest line, or what a pre-annotation hook returns), "
            "or a file holding it.",
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the HTML here.")
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the written HTML in a web browser.")
    ] = False,
) -> None:
    """Render a stored template (or a template file) with a task input; print errors, exit 1 on any."""
    dep = deployment(ctx)
    path = Path(name).expanduser()
    template = (
        _read_text(path, "template") if path.is_file() else task_uis.get_task_ui(dep, name).template
    )
    given = Path(input_json).expanduser()
    text = _read_text(given, "input") if len(input_json) < 4096 and given.is_file() else input_json
    result = task_uis.preview(template, text, "--input")
    for problem in result.errors:
        err.print(f"[bold red]error:[/] {problem}", soft_wrap=True)
    if result.errors:
        raise typer.Exit(1)
    # Opened from disk the page needs the element script from a running server.
    html = result.html.replace('src="/static/', f'src="{dep.settings.base_url}/static/')
    target = output or Path(f"{path.stem if path.is_file() else name}-preview.html")
    target.write_text(html, encoding="utf-8")
    out.print(f"wrote {target}")
    if open_browser:
        webbrowser.open(target.resolve().as_uri())
