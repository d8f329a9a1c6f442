"""flow and loop commands: Augmented AI flow definitions and their human loops."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from truthset.background import leases
from truthset.background.runner import run_job
from truthset.cli.context import deployment, out
from truthset.review import flows, loops
from truthset.review.flows import FlowRequest

flow_app = typer.Typer(
    help="Augmented AI flow definitions (human review sent to a work team).",
    no_args_is_help=True,
)
loop_app = typer.Typer(
    help="Human loops: one item sent to a flow for review.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(flow_app, name="flow")
    app.add_typer(loop_app, name="loop")


@flow_app.command("create")
def flow_create(
    ctx: typer.Context,
    name: str,
    team: Annotated[str, typer.Option(help="Work team that reviews the loops.")],
    template: Annotated[str, typer.Option(help="Stored worker template (human task UI) name.")],
    output: Annotated[str, typer.Option(help="Output folder (S3OutputPath): s3://... or a path.")],
    title: Annotated[str, typer.Option(help="Task title workers see.")],
    description: Annotated[str, typer.Option(help="Task description workers see.")],
    workers: Annotated[int, typer.Option(help="Workers per loop (TaskCount, 1-3).")] = 1,
    time_limit: Annotated[
        int, typer.Option(help="Seconds a worker has for a task.")
    ] = flows.DEFAULT_TIME_LIMIT,
    availability: Annotated[
        int, typer.Option(help="Seconds a loop waits for its workers.")
    ] = flows.DEFAULT_AVAILABILITY,
) -> None:
    """Create a flow definition (as SageMaker's CreateFlowDefinition)."""
    created = flows.create_flow(
        deployment(ctx),
        FlowRequest(
            name=name,
            team=team,
            task_ui=template,
            task_count=workers,
            title=title,
            description=description,
            output_path=output,
            time_limit=time_limit,
            availability=availability,
        ),
    )
    out.print(f"flow definition {created.name} created for team {created.team}")


@flow_app.command("list")
def flow_list(ctx: typer.Context) -> None:
    """List flow definitions."""
    table = Table("flow", "team", "workers per loop", "output", "created", box=None)
    for flow in flows.list_flows(deployment(ctx)):
        table.add_row(
            flow.name,
            flow.team,
            str(flow.task_count),
            flow.output_path,
            f"{flow.created_at:%Y-%m-%d %H:%M:%S}",
        )
    out.print(table)


@flow_app.command("delete")
def flow_delete(ctx: typer.Context, name: str) -> None:
    """Delete a flow definition and its ended loops (refused while a loop is in progress)."""
    flows.delete_flow(deployment(ctx), name)
    out.print(f"flow definition {name} deleted")


@loop_app.command("start")
def loop_start(
    ctx: typer.Context,
    flow: str,
    input_content: Annotated[
        str, typer.Option("--input", help="The loop's input: a JSON object, or - for stdin.")
    ],
    name: Annotated[str | None, typer.Option(help="Loop name (default: a new one).")] = None,
) -> None:
    """Start a human loop (as StartHumanLoop); it goes to the flow's work team at once."""
    content = sys.stdin.read() if input_content == "-" else input_content
    started = loops.start_loop(deployment(ctx), flow, name or loops.new_loop_name(), content)
    verb = "started" if started.created else "already exists with this input"
    out.print(f"human loop {started.name} {verb}")


def _show(loop: loops.LoopInfo) -> None:
    out.print(f"human loop {loop.name} (flow {loop.flow}): {loop.status}")
    out.print(f"  created {loop.created_at:%Y-%m-%d %H:%M:%S} UTC")
    if loop.failure_reason:
        out.print(f"  failure: {loop.failure_reason}")
    if loop.output_uri:
        out.print(f"  output: {loop.output_uri}")


@loop_app.command("describe")
def loop_describe(ctx: typer.Context, name: str) -> None:
    """Show a loop's status and, once Completed, where its output.json is."""
    _show(loops.describe_loop(deployment(ctx), name))


@loop_app.command("list")
def loop_list(
    ctx: typer.Context,
    flow: str,
    limit: Annotated[int, typer.Option(help="Show at most this many (newest first).")] = 100,
) -> None:
    """List a flow's loops, newest first."""
    found = loops.list_loops(deployment(ctx), flow, limit=limit)
    table = Table("loop", "status", "created", "output", box=None)
    for loop in found.loops:
        table.add_row(
            loop.name, loop.status, f"{loop.created_at:%Y-%m-%d %H:%M:%S}", loop.output_uri or ""
        )
    out.print(table)


@loop_app.command("stop")
def loop_stop(ctx: typer.Context, name: str) -> None:
    """Stop a loop in progress: its tasks are withdrawn, no output is written."""
    dep = deployment(ctx)
    loops.stop_loop(dep, name)
    # A running server's background runner ends the loop; without one, do it here.
    run_job(dep, loops.loop_job(dep, name), leases.new_owner("cli"))
    _show(loops.describe_loop(dep, name))


@loop_app.command("delete")
def loop_delete(ctx: typer.Context, name: str) -> None:
    """Delete an ended loop with its input and answers (its output file stays)."""
    loops.delete_loop(deployment(ctx), name)
    out.print(f"human loop {name} deleted")
