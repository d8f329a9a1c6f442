"""hook commands: register pre- and post-annotation hooks under Lambda-style names."""

from __future__ import annotations

import typer

from truthset.cli.context import deployment, out
from truthset.hooks import targets
from truthset.hooks.http import endpoint_secret

hook_app = typer.Typer(help="Pre- and post-annotation hooks of custom jobs.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(hook_app, name="hook")


@hook_app.command("register")
def hook_register(ctx: typer.Context, name: str, target: str) -> None:
    """Register a hook (a FILE.py with lambda_handler, or an http(s) URL) under NAME, replacing
    one of that name; prints the Lambda ARN the SageMaker API maps to it."""
    dep = deployment(ctx)
    targets.register_hook(dep, name, target)
    out.print(targets.hook_arn(dep, name))


@hook_app.command("list")
def hook_list(ctx: typer.Context) -> None:
    """List registered hooks: name, kind, URL (HTTP hooks) and the ARN each answers to."""
    dep = deployment(ctx)
    for hook in targets.list_hooks(dep):
        fields = (hook.name, hook.kind, hook.url or "-", targets.hook_arn(dep, hook.name))
        out.print("  ".join(fields), soft_wrap=True)


@hook_app.command("delete")
def hook_delete(ctx: typer.Context, name: str) -> None:
    """Delete a registered hook (jobs that name it then fail their objects with the reason)."""
    targets.delete_hook(deployment(ctx), name)
    out.print(f"hook {name} deleted")


@hook_app.command("secret")
def hook_secret(ctx: typer.Context, url: str) -> None:
    """Print the HMAC secret an HTTP hook at URL verifies X-Truthset-Signature with."""
    out.print(endpoint_secret(deployment(ctx).secret_key, url))
