"""`truthset plan`: predicted answers against what the online replay actually used, on real
crowd datasets; fixed N against adaptive N; the CLI on a CSV and on a running job."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.support.factories import answer, make_job, make_team
from truthset import dispatch, planning
from truthset.cli.main import app
from truthset.consolidation import encode_answers
from truthset.consolidation.adaptive import StoppingRule
from truthset.consolidation.bayes_ds import bayes_ds
from truthset.consolidation.planning import plan, simulate
from truthset.consolidation.replay import replay
from truthset.deployment import Deployment

from .test_crowd_datasets import crowd_data, read


def dataset(name: str):  # type: ignore[no-untyped-def]
    rows = read(crowd_data() / name / "answers.csv")
    return encode_answers(
        [r["item"] for r in rows], [r["worker"] for r in rows], [r["label"] for r in rows]
    )


# Measured (predicted / replayed answers per object, target 0.95): rte 9.32 / 9.02, temp
# 5.55 / 6.11, wsd 2.02 / 2.04. Outside 15% on other datasets: possent 0.87x at 0.95 and 0.65x
# at 0.9, dog and face 1.15x (docs/adaptive.md).
@pytest.mark.parametrize("name", ["rte", "temp", "wsd"])
def test_predicted_answers_are_within_15_percent_of_the_replay(name: str) -> None:
    answers = dataset(name)
    rule = StoppingRule(target=0.95, max_answers=int(answers.answers_per_item.max()))
    predicted = simulate(bayes_ds(answers), rule).answers_per_object
    replayed = replay(answers, rule, seed=0).kept.sum() / answers.n_items
    assert abs(predicted / replayed - 1) <= 0.15, (predicted, replayed)


def test_plan_puts_fixed_and_adaptive_side_by_side() -> None:
    answers = dataset("rte")
    result = plan(bayes_ds(answers), 0.9, max_answers=10, min_answers=2, objects=2000)
    assert result.fixed_n is not None and result.adaptive_target is not None
    assert result.fixed.accuracy >= 0.9 and result.adaptive.accuracy >= 0.9
    assert result.adaptive.answers_per_object < result.fixed_n
    # An unreachable target says so instead of inventing an N.
    hopeless = plan(bayes_ds(answers), 0.999, max_answers=3, objects=500)
    assert hopeless.fixed_n is None


def test_cli_plan_on_a_csv(tmp_path: Path) -> None:
    path = crowd_data() / "temp" / "answers.csv"
    result = CliRunner().invoke(
        app,
        ["--data-dir", str(tmp_path), "plan", "--answers", str(path), "--target-accuracy", "0.9"],
    )
    assert result.exit_code == 0, result.output
    assert "fixed N =" in result.output and "adaptive 2+" in result.output
    assert "worker hours" in result.output
    refused = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "plan"])
    assert refused.exit_code == 1 and "give a job or --answers" in refused.output


def test_a_running_job_is_its_own_pilot(dep: Deployment) -> None:
    workers = make_team(dep, workers=4)
    make_job(dep, objects=12, workers_per_object=3)
    rng = np.random.default_rng(0)
    for worker in workers[:3]:
        for _ in range(4):
            task = dispatch.next_task(dep, worker, "views")
            assert task is not None
            label = "Left-CC" if rng.random() < 0.8 else "Right-CC"
            dispatch.submit_answer(dep, worker, task.task_id, answer(label))
    pilot = planning.job_pilot(dep, "views")
    assert pilot.result.answers.n_answers == 12
    # Three workers answered the same first four objects, which closed at their third answer.
    assert (pilot.objects, pilot.answered) == (8, 0)
    estimate = planning.live_estimate(dep, "views")
    assert estimate is not None
    assert estimate.answers_per_object == 3
    assert estimate.more_answers == 3 * 8
    assert estimate.hours > 0
