"""admin, team and worker commands."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from truthset import workforce
from truthset.cli import remote
from truthset.cli.context import deployment, out, read_secret_stdin
from truthset.identity import accesskeys, resets
from truthset.workforce import models

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]

admin_app = typer.Typer(help="Admins: the people who create teams and jobs.", no_args_is_help=True)
access_key_app = typer.Typer(
    help="Access keys for the SageMaker-compatible API (SigV4, as boto3 signs).",
    no_args_is_help=True,
)
admin_app.add_typer(access_key_app, name="access-key")
team_app = typer.Typer(
    help="Work teams: a labeling job is sent to exactly one team.", no_args_is_help=True
)
worker_app = typer.Typer(help="Workers: the people who label.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(admin_app, name="admin")
    app.add_typer(team_app, name="team")
    app.add_typer(worker_app, name="worker")


@admin_app.command("create")
def admin_create(ctx: typer.Context, email: str, password_stdin: PasswordStdin = False) -> None:
    """Create an admin. Without --password-stdin a password is generated and printed."""
    password = read_secret_stdin() if password_stdin else None
    user, generated = workforce.create_admin(deployment(ctx), email, password)
    out.print(f"admin {user.email} created")
    if generated:
        out.print(f"password: {generated}")


@admin_app.command("enable")
def admin_enable(ctx: typer.Context, email: str) -> None:
    """Make a user an active admin again (the way back in when no admin can sign in)."""
    user = workforce.enable_admin(deployment(ctx), email)
    out.print(f"{user.email} is an active admin")


@admin_app.command("demote")
def admin_demote(ctx: typer.Context, email: str) -> None:
    """Take admin away from a user (refused for the last active admin)."""
    user = workforce.set_admin(deployment(ctx), email, False)
    out.print(f"{user.email} is no longer an admin")


@admin_app.command("reset-link")
def admin_reset_link(ctx: typer.Context, email: str) -> None:
    """Print a single-use link that sets a new password (for servers without SMTP)."""
    dep = deployment(ctx)
    url = resets.reset_link(dep, email)
    minutes = max(1, dep.settings.password_reset_ttl // 60)
    out.print(f"{url}", soft_wrap=True)
    out.print(f"[dim]works once, for {minutes} minutes; give it to {email} yourself[/]")


@access_key_app.command("create")
def access_key_create(ctx: typer.Context, email: str) -> None:
    """Create an access key for an admin; prints {"AccessKeyId": ..., "SecretAccessKey": ...} as one JSON line."""
    pair = accesskeys.create_access_key(deployment(ctx), email)
    # Plain output: scripts parse this line, and the secret is shown only this once.
    typer.echo(
        json.dumps({"AccessKeyId": pair.access_key_id, "SecretAccessKey": pair.secret_access_key})
    )


@access_key_app.command("revoke")
def access_key_revoke(ctx: typer.Context, access_key_id: str) -> None:
    """Revoke an access key: requests signed with it are refused from now on."""
    accesskeys.revoke_access_key(deployment(ctx), access_key_id)
    out.print(f"access key {access_key_id} revoked")


@team_app.command("create")
def team_create(
    ctx: typer.Context,
    name: str,
    description: Annotated[str, typer.Option(help="Up to 200 characters.")] = "",
) -> None:
    """Create a work team."""
    if (server := remote.client(ctx)) is not None:
        return remote.team_create(server, name, description)
    created = workforce.create_team(deployment(ctx), name, description)
    out.print(f"team {created.name} created")


@team_app.command("invite")
def team_invite(
    ctx: typer.Context,
    team_name: Annotated[str, typer.Argument(metavar="TEAM")],
    emails: list[str],
) -> None:
    """Add people to a team. New ones get an invitation link: e-mailed when SMTP is set, printed otherwise."""
    for result in workforce.invite(deployment(ctx), team_name, emails):
        if result.url and not result.emailed:
            out.print(f"{result.email}\t{result.url}", soft_wrap=True)
        elif result.emailed:
            out.print(f"{result.email}\tinvitation e-mailed")
        else:
            out.print(f"{result.email}\talready {result.status}; added to {team_name}")


@team_app.command("list")
def team_list(ctx: typer.Context) -> None:
    """List work teams."""
    if (server := remote.client(ctx)) is not None:
        return remote.team_list(server)
    table = Table("team", "members", "description", box=None)
    for item in workforce.list_teams(deployment(ctx)):
        table.add_row(item.name, str(item.members), item.description)
    out.print(table)


@team_app.command("show")
def team_show(ctx: typer.Context, name: str) -> None:
    """Show a team's members with their status (invited, active, disabled)."""
    info, members = workforce.get_team(deployment(ctx), name)
    out.print(f"[bold]{info.name}[/]  {info.description}")
    table = Table("member", "status", box=None)
    for member in members:
        table.add_row(member.email, member.status)
    out.print(table)


@team_app.command("groups")
def team_groups(
    ctx: typer.Context,
    name: str,
    groups: Annotated[
        list[str] | None, typer.Argument(help="Provider groups; none: clear.")
    ] = None,
) -> None:
    """Set the identity-provider groups a team follows (OIDC): members of any of them join at
    sign-in, and leave when the group is gone. No groups: the team is managed here again."""
    chosen = workforce.set_team_groups(deployment(ctx), name, groups or [])
    shown = ", ".join(chosen) if chosen else "none (managed here)"
    out.print(f"team {name} follows groups: {shown}")


@worker_app.command("create")
def worker_create(
    ctx: typer.Context,
    emails: list[str],
    team_name: Annotated[str, typer.Option("--team", help="Team to join.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Create active workers at once (scripted set-ups); generated passwords are printed."""
    password = read_secret_stdin() if password_stdin else None
    for user, generated in workforce.create_workers(deployment(ctx), emails, team_name, password):
        out.print(f"{user.email}\t{generated}" if generated else f"{user.email}\tcreated")


@worker_app.command("model")
def worker_model(
    ctx: typer.Context,
    name: str,
    team_name: Annotated[str, typer.Option("--team", help="Team to join.")],
    hook: Annotated[
        str,
        typer.Option("--hook", help="What answers: a Python file, an http(s) URL or a Lambda ARN."),
    ],
) -> None:
    """Create a model worker: a member of the team that answers tasks through a hook, from
    the background runner; its answers are weighed by the accuracy the job measures."""
    user = models.create_model_worker(deployment(ctx), name, team_name, hook)
    out.print(f"model worker {name} ({user.email}) joined {team_name}")


@worker_app.command("disable")
def worker_disable(ctx: typer.Context, email: str) -> None:
    """Stop a worker from signing in; their sessions, API tokens and leased tasks end (a running
    server stops accepting their sessions within 5 seconds). Refused for the last active admin."""
    user = workforce.set_disabled(deployment(ctx), email, True)
    out.print(f"{user.email} is {user.status}")


@worker_app.command("enable")
def worker_enable(ctx: typer.Context, email: str) -> None:
    """Let a disabled worker sign in again."""
    user = workforce.set_disabled(deployment(ctx), email, False)
    out.print(f"{user.email} is {user.status}")
