"""A custom job created through the CLI with a Python-file gold hook: each answer to a gold
question is scored by the hook (its event checked by the hook itself), the scores are the
workers' gold accuracy, and a hook that fails on an answer leaves the answer stored with its
score unknown and the reason recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.support.factories import make_team, write_manifest
from tests.tasktypes.test_custom_job import TEMPLATE, finish, work
from truthset import jobs, quality
from truthset.cli.main import app
from truthset.db.tables import Annotation
from truthset.deployment import Deployment
from truthset.errors import Invalid

# Partial credit for a near answer; raises on one answer, as a buggy hook would.
GOLD_HOOK = """
import json

def lambda_handler(event, context):
    payload = event["payload"]
    assert event["version"] == "2018-10-16" and event["labelAttributeName"] == "graded"
    assert event["labelingJobArn"].endswith(":labeling-job/graded")
    assert payload["dataObject"]["source"] == "known" and payload["datasetObjectId"] == "4"
    (annotation,) = payload["annotations"]
    assert annotation["workerId"]
    said = json.loads(annotation["annotationData"]["content"])["sentiment"]
    expected = payload["goldAnswer"]["sentiment"]
    if said == "boom":
        raise RuntimeError("cannot grade this")
    return {"score": 1.0 if said == expected else 0.5 if said == "mixed" else 0.0}
"""


def create(dep: Deployment, tmp_path: Path, hook: Path) -> None:
    lines: list[dict[str, Any]] = [{"source": f"text {i}"} for i in range(4)]
    lines.append({"source": "known", "truthset-gold": {"sentiment": "pos"}})
    manifest = write_manifest(dep.settings.data_dir.resolve() / "graded.manifest", lines)
    template = tmp_path / "graded.liquid"
    template.write_text(TEMPLATE)
    base = ["--data-dir", str(dep.settings.data_dir)]
    created = CliRunner().invoke(
        app,
        [
            *base,
            "--database-url",
            dep.settings.resolved_database_url,
            "job",
            "create",
            "graded",
            "--task-type",
            "custom",
            "--template",
            str(template),
            "--manifest",
            str(manifest),
            "--output",
            str(dep.settings.data_dir / "out"),
            "--team",
            "raters",
            "--workers-per-object",
            "1",
            "--gold-ratio",
            "1",
            "--gold-hook",
            str(hook),
        ],
        env={"TRUTHSET_SECRET_KEY": "test-secret-key"},
    )
    assert created.exit_code == 0, created.output


def test_a_gold_hook_scores_answers_and_a_failure_leaves_the_score_unknown(
    dep: Deployment, tmp_path: Path
) -> None:
    hook = tmp_path / "grade.py"
    hook.write_text(GOLD_HOOK)
    workers = make_team(dep, "raters", workers=3)
    create(dep, tmp_path, hook)
    job = jobs.describe_job(dep, "graded")
    assert job.options["gold_hook"]["name"] == "grade.py"
    for worker, said in zip(workers, ("pos", "mixed", "boom"), strict=True):
        seen = work(dep, worker, "graded", {"sentiment": said}, limit=2)
        assert {"source": "known", "truthset-gold": {"sentiment": "pos"}} in seen
    finish(dep, "graded", passes=2)
    report = {w.email: w for w in quality.job_quality(dep, "graded").workers}
    right, near, broken = (report[w.email] for w in workers)
    assert (right.gold_answers, right.gold_accuracy, right.gold_unscored) == (1, 1.0, 0)
    assert (near.gold_accuracy, near.gold_unscored) == (0.5, 0)
    # The failed score is unknown, not wrong; the answer itself is kept.
    assert (broken.gold_answers, broken.gold_accuracy, broken.gold_unscored) == (1, None, 1)
    with dep.db.read() as conn:
        rows = conn.execute(
            select(Annotation.content, Annotation.gold_score, Annotation.gold_error)
            .where(Annotation.job_id == job.id, Annotation.object_id == 4)
            .order_by(Annotation.id)
        ).all()
    assert [json.loads(r.content)["sentiment"] for r in rows] == ["pos", "mixed", "boom"]
    assert [r.gold_score for r in rows] == [1.0, 0.5, None]
    assert rows[2].gold_error is not None and "cannot grade this" in rows[2].gold_error
    # Asked once: a later pass does not call the hook again on a failed answer.
    finish(dep, "graded", passes=1)
    assert quality.job_quality(dep, "graded").workers[2].gold_unscored == 1
    shown = CliRunner().invoke(
        app,
        [
            *("--data-dir", str(dep.settings.data_dir)),
            *("--database-url", dep.settings.resolved_database_url),
            *("job", "quality", "graded"),
        ],
        env={"TRUTHSET_SECRET_KEY": "test-secret-key"},
    )
    assert shown.exit_code == 0 and "1 (1 unscored)" in shown.output, shown.output


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        ("{'score': 1.5}", "from 0 to 1"),
        ("{'score': True}", "must be a number"),
        ("[0.5]", 'object with "score"'),
    ],
)
def test_a_gold_hook_answer_out_of_shape_is_recorded_not_counted(
    dep: Deployment, response: str, reason: str
) -> None:
    (worker,) = make_team(dep, "raters", workers=1)
    lines = [{"source": "known", "truthset-gold": {"sentiment": "pos"}}, {"source": "x"}]
    request = jobs.JobRequest(
        name="shapes",
        manifest=str(write_manifest(dep.settings.data_dir.resolve() / "s.manifest", lines)),
        output=str(dep.settings.data_dir / "out"),
        task_type="custom",
        team="raters",
        workers_per_object=1,
        ui_template=TEMPLATE,
        options={
            "gold_ratio": 1.0,
            "gold_hook": {
                "kind": "python",
                "name": "g.py",
                "source": f"def lambda_handler(event, context):\n    return {response}\n",
            },
        },
    )
    job = jobs.create_job(dep, request)
    work(dep, worker, "shapes", {"sentiment": "pos"}, limit=1)
    finish(dep, "shapes", passes=1)
    with dep.db.read() as conn:
        error = conn.scalar(select(Annotation.gold_error).where(Annotation.job_id == job.id))
    assert error is not None and reason in error
    assert quality.job_quality(dep, "shapes").workers[0].gold_accuracy is None


def test_only_custom_jobs_take_a_gold_hook(dep: Deployment) -> None:
    make_team(dep, "raters", workers=1)
    request = jobs.JobRequest(
        name="builtin",
        manifest=str(write_manifest(dep.settings.data_dir.resolve() / "b.manifest", [])),
        output=str(dep.settings.data_dir / "out"),
        task_type="text-classification",
        team="raters",
        labels=["pos", "neg"],
        options={"gold_hook": "https://grader.example.org/score"},
    )
    with pytest.raises(Invalid, match="gold_hook: hooks are for custom jobs"):
        jobs.create_job(dep, request)
