"""Generates docs/cli.md and docs/settings.md from the code, so they cannot drift.

Run `python -m truthset.cli.reference docs` (or `make docs`); a test fails when they are stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import typer
from typer._click.core import Command, Context

from truthset.settings import Settings


def _is_group(command: Command) -> bool:
    return hasattr(command, "list_commands")


def _commands(command: Command, path: list[str]) -> list[tuple[list[str], Command]]:
    found = [(path, command)]
    if _is_group(command):
        for name in command.list_commands(Context(command)):  # type: ignore[attr-defined]
            sub = command.get_command(Context(command), name)  # type: ignore[attr-defined]
            if sub is not None and not sub.hidden:
                found.extend(_commands(sub, [*path, name]))
    return found


def _usage(command: Command, path: list[str]) -> str:
    context = Context(command, info_name=" ".join(path))
    usage = " ".join(command.collect_usage_pieces(context))
    return re.sub(r"\{(\w+)\}", lambda m: m.group(1).upper(), usage)


def cli_markdown(app: typer.Typer) -> str:
    root = typer.main.get_command(app)
    lines = [
        "# Command-line reference",
        "",
        "Generated from the code by `python -m truthset.cli.reference docs`; do not edit by hand.",
        "Every command acts on the deployment named by the settings (see settings.md); the server",
        "need not be running. Errors print one line on standard error and exit with code 1.",
        "",
    ]
    for path, command in _commands(root, ["truthset"]):
        if _is_group(command) and len(path) > 1:
            lines += [f"## {' '.join(path)}", "", (command.help or "").strip(), ""]
            continue
        lines += [f"### `{' '.join(path)} {_usage(command, path)}`".replace("  ", " "), ""]
        lines += [(command.help or "").strip(), ""]
        options = [p for p in command.params if p.param_type_name == "option" and p.name != "help"]
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        for param in arguments:
            lines.append(f"- `{(param.metavar or param.name or '').upper()}` (argument)")
        for param in options:
            names = ", ".join(f"`{o}`" for o in param.opts)
            help_text = getattr(param, "help", "") or ""
            lines.append(f"- {names}: {help_text}".rstrip(": "))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def settings_markdown() -> str:
    lines = [
        "# Settings",
        "",
        "Generated from `truthset.settings.Settings`; do not edit by hand. Each setting is read from",
        "the environment variable shown; the global flags `--data-dir` and `--database-url` and the",
        "`serve` flags `--host`, `--port`, `--public-base-url` override it. A list is written as its",
        "description says (`TRUTHSET_DATA_ROOTS=/srv/mammo:/mnt/scans`, one path alone, or items",
        'separated by commas); a JSON list (`["/srv/mammo"]`) is accepted too.',
        "",
        "| environment variable | default | description |",
        "|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        if hasattr(default, "get_secret_value"):
            default = default.get_secret_value()
        shown = f"`{default}`" if default not in ("", [], None) else "(empty)"
        lines.append(f"| `TRUTHSET_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(lines) + "\n"


def api_markdown() -> str:
    """The REST API from the app's own OpenAPI document."""
    from fastapi import FastAPI
    from fastapi.openapi.utils import get_openapi

    from truthset.web.api import ERROR_RESPONSES, router

    lines = [
        "# REST API reference",
        "",
        "Generated from the OpenAPI document (served at `/api/v1/openapi.json`); do not edit by hand.",
        "Send `Authorization: Bearer <token>` from `POST /api/v1/login`. Errors are JSON:",
        '`{"error": {"type", "message", "problems"?}}` with 400 (bad input), 401, 403, 404, 409',
        "(conflict), 410 (the task's lease ended), 413 (`too_large`: the body is over its limit),",
        "429 (too many failed logins). The OpenAPI document lists these on every operation",
        "(`ErrorOut`); below, only the ones an operation explains itself. Timestamps are RFC 3339",
        "in UTC (`2026-11-25T09:00:00Z`).",
        "",
        "Request bodies are limited before they are read (413, also for chunked bodies without a",
        "Content-Length): `TRUTHSET_MAX_ANONYMOUS_BODY` (16 KiB) without credentials and on the",
        "sign-in, invitation and password-reset routes, `TRUTHSET_MAX_ANSWER_BODY` (64 MiB) for",
        "`POST /api/v1/worker/tasks/{task_id}/answer`, `TRUTHSET_MAX_BODY` (1 MiB) for the rest.",
        "",
    ]
    app = FastAPI()
    app.include_router(router)
    schema = get_openapi(title="truthset", version="1", routes=app.routes)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            text = " ".join((operation.get("description") or "").split())
            lines.append(f"### `{method.upper()} {path}`")
            lines.append("")
            if text:
                lines += [text, ""]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            if body:
                lines += [
                    f"Request body: `{body['schema'].get('$ref', '').rsplit('/', 1)[-1]}`",
                    "",
                ]
            for status, response in operation.get("responses", {}).items():
                shared = ERROR_RESPONSES.get(int(status), {}).get("description")
                if status == "422" or response.get("description") == shared:
                    continue  # listed once above
                ref = response.get("content", {}).get("application/json", {}).get("schema", {})
                shape = ref.get("$ref", ref.get("items", {}).get("$ref", "")).rsplit("/", 1)[-1]
                many = "list of " if "items" in ref else ""
                lines.append(
                    f"- {status}: {response.get('description', '')}{f' ({many}`{shape}`)' if shape else ''}"
                )
            lines.append("")
    lines += ["## Shapes", ""]
    for name, component in schema["components"]["schemas"].items():
        if name in ("HTTPValidationError", "ValidationError"):
            continue
        fields = ", ".join(f"`{field}`" for field in component.get("properties", {}))
        lines.append(f"- `{name}`: {fields}")
    return "\n".join(lines) + "\n"


def write(folder: Path) -> None:
    from truthset.cli.main import app

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cli.md").write_text(cli_markdown(app))
    (folder / "settings.md").write_text(settings_markdown())
    (folder / "api.md").write_text(api_markdown())


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
