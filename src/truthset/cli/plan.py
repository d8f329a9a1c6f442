"""`truthset plan`: answers and worker hours for a target accuracy, fixed N beside adaptive N."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from truthset import planning
from truthset.cli.consolidate import InputError, read_answers, read_gold
from truthset.cli.context import deployment, out
from truthset.consolidation import AnswersError, consolidate, encode_answers, encode_gold
from truthset.consolidation.planning import Outcome, Plan
from truthset.errors import Invalid


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)


def _csv_pilot(answers: Path, gold: Path | None, seconds: float) -> planning.Pilot:
    try:
        items, workers, labels = read_answers(answers)
        encoded = encode_answers(items, workers, labels)
        known = read_gold(gold, set(items), set(labels)) if gold else {}
        result = consolidate(encoded, gold=encode_gold(encoded, known) if known else None)
    except (InputError, AnswersError) as error:
        raise Invalid(str(error)) from None
    return planning.answers_pilot(result, seconds)


def _cell(outcome: Outcome, pilot: planning.Pilot, what: str) -> str:
    needed = planning.total_answers(outcome, pilot)
    if what == "per object":
        return f"{outcome.answers_per_object:.2f}"
    if what == "accuracy":
        return f"{outcome.accuracy:.3f}"
    if what == "answers":
        return f"{needed:,}"
    return f"{planning.hours(needed, pilot):,.1f}"


def plan_cells(plan: Plan, pilot: planning.Pilot, what: str) -> tuple[str, str]:
    return _cell(plan.fixed, pilot, what), _cell(plan.adaptive, pilot, what)


def _show(plan: Plan, pilot: planning.Pilot, min_workers: int) -> None:
    answers = pilot.result.answers
    out.print(
        f"pilot: {answers.n_answers} answers by {answers.n_workers} workers on "
        f"{answers.n_items} objects; plan for {pilot.objects} objects "
        f"({pilot.answered} answers already given), {pilot.seconds_per_answer:.0f} s per answer"
    )
    table = Table(title=f"target accuracy {plan.target_accuracy}")
    table.add_column("")
    fixed = f"fixed N = {plan.fixed_n}" if plan.fixed_n else "fixed N (target not reached)"
    table.add_column(fixed, justify="right")
    adaptive = (
        f"adaptive {min_workers}+ at confidence {plan.adaptive_target}"
        if plan.adaptive_target
        else "adaptive (target not reached)"
    )
    table.add_column(adaptive, justify="right")
    for name, column in (
        ("answers per object", plan_cells(plan, pilot, "per object")),
        ("expected accuracy", plan_cells(plan, pilot, "accuracy")),
        ("answers still needed", plan_cells(plan, pilot, "answers")),
        ("worker hours", plan_cells(plan, pilot, "hours")),
    ):
        table.add_row(name, *column)
    out.print(table)
    out.print(
        "Simulated from the pilot's worker model: workers are taken to be as good as the "
        "pilot says, and accuracy is a reviewer's agreement (docs/adaptive.md)."
    )


def plan_command(
    ctx: typer.Context,
    job: Annotated[
        str | None, typer.Argument(help="A job: its answers so far are the pilot.")
    ] = None,
    answers: Annotated[
        Path | None, typer.Option(help="Or a CSV of answers (item,worker,label) as the pilot.")
    ] = None,
    gold: Annotated[
        Path | None, typer.Option(help="With --answers: a CSV (item,label) of known labels.")
    ] = None,
    target_accuracy: Annotated[float, typer.Option(help="Accuracy to reach.")] = 0.95,
    workers_per_object: Annotated[
        int, typer.Option(help="Most workers per object (fixed N is tried up to this).")
    ] = 5,
    min_workers_per_object: Annotated[
        int, typer.Option(help="Adaptive: workers every object is offered to first.")
    ] = 2,
    seconds_per_answer: Annotated[
        float, typer.Option(help="With --answers: a worker's time per answer.")
    ] = planning.DEFAULT_SECONDS_PER_ANSWER,
) -> None:
    """Expected answers per object, total answers and worker hours for a target accuracy, with
    a fixed number of workers per object beside adaptive workers per object."""
    if (job is None) == (answers is None):
        raise Invalid("give a job or --answers ANSWERS.csv (one of them)")
    if answers is not None:
        pilot = _csv_pilot(answers, gold, seconds_per_answer)
    else:
        assert job is not None
        pilot = planning.job_pilot(deployment(ctx), job)
    result = planning.make_plan(pilot, target_accuracy, workers_per_object, min_workers_per_object)
    _show(result, pilot, min_workers_per_object)
