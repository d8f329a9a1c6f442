"""Model workers (issue 14): a Python-file hook in a work team answers beside people, enters
consolidation as a worker whose accuracy is learned, and is marked as a model in the output."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from tests.support.factories import make_team, write_manifest
from truthset import dispatch, jobs, quality
from truthset.background.runner import run_job
from truthset.cli.main import app
from truthset.consolidation import consolidate, encode_answers
from truthset.deployment import Deployment

LABELS = ["positive", "negative", "neutral"]
OBJECTS = 200
HUMAN_ACCURACY = 0.7
# The hook: right with a set probability, decided by a hash of the text so runs repeat.
MODEL = """
import hashlib

ACCURACY = {accuracy}
LABELS = {labels!r}

def lambda_handler(event, context):
    line = event["dataObject"]
    draw = int(hashlib.sha256(line["source"].encode()).hexdigest()[:8], 16) / 16**8
    if ACCURACY is None:  # answers at random
        label = LABELS[int(draw * len(LABELS))]
    elif draw < ACCURACY:
        label = line["truth"]
    else:
        label = [x for x in LABELS if x != line["truth"]][int(draw * 1000) % 2]
    return {{"answer": {{"crowd-classifier": {{"label": label}}}}}}
"""


def job_with_a_model(dep: Deployment, tmp_path: Path, accuracy: float | None) -> dict[int, str]:
    people = make_team(dep, "readers", workers=2)
    hook = tmp_path / "model.py"
    hook.write_text(MODEL.format(accuracy=accuracy, labels=LABELS))
    settings = ["--data-dir", str(dep.settings.data_dir), "--database-url"]
    result = CliRunner().invoke(
        app,
        [
            *settings,
            dep.settings.resolved_database_url,
            "worker",
            "model",
            "classifier",
            "--team",
            "readers",
            "--hook",
            str(hook),
        ],
        env={"TRUTHSET_SECRET_KEY": "test-secret-key"},
    )
    assert result.exit_code == 0, result.output
    rng = random.Random(7)
    truth = {i: rng.choice(LABELS) for i in range(OBJECTS)}
    manifest = write_manifest(
        dep.settings.data_dir / "texts.manifest",
        [{"source": f"text number {i}", "truth": truth[i]} for i in range(OBJECTS)],
    )
    jobs.create_job(
        dep,
        jobs.JobRequest(
            name="sentiment",
            manifest=str(manifest),
            output=str(dep.settings.data_dir / "out"),
            task_type="text-classification",
            team="readers",
            labels=LABELS,
            workers_per_object=3,
        ),
    )
    job_id = jobs.describe_job(dep, "sentiment").id
    for _ in range(OBJECTS // 50 + 2):  # the runner lets the model answer, 50 tasks a pass
        run_job(dep, job_id, "test")
    for worker in people:
        while (task := dispatch.next_task(dep, worker, "sentiment")) is not None:
            right = rng.random() < HUMAN_ACCURACY
            label = (
                truth[task.object_id]
                if right
                else rng.choice([x for x in LABELS if x != truth[task.object_id]])
            )
            dispatch.submit_answer(
                dep, worker, task.task_id, {"crowd-classifier": {"label": label}}
            )
    run_job(dep, job_id, "test")
    return truth


def output_lines(dep: Deployment) -> list[dict]:  # type: ignore[type-arg]
    manifest = Path(jobs.describe_job(dep, "sentiment").output_manifest)
    return [json.loads(line) for line in manifest.read_text().splitlines()]


def humans_alone(dep: Deployment, truth: dict[int, str]) -> float:
    folder = Path(jobs.describe_job(dep, "sentiment").output_folder)
    items, workers, labels = [], [], []
    for path in (folder / "annotations/worker-response/iteration-1").glob("*/*.json"):
        for a in json.loads(path.read_text())["answers"]:
            if a["workerMetadata"]["identityData"]["identityProviderType"] == "truthset":
                items.append(int(path.parent.name))
                workers.append(a["workerId"])
                labels.append(a["answerContent"]["crowd-classifier"]["label"])
    answers = encode_answers(items, workers, labels, classes=LABELS)
    result = consolidate(answers)
    chosen = {i: LABELS[int(k)] for i, k in zip(answers.item_ids, result.label, strict=True)}
    return float(np.mean([chosen[i] == truth[i] for i in chosen]))


def overall(per_class: list[quality.ClassAgreement]) -> float:
    """The answer-weighted agreement over the classes."""
    return sum((c.agreement or 0) * c.answers for c in per_class) / sum(
        c.answers for c in per_class
    )


def test_a_model_worker_of_80_percent_lifts_two_people(dep: Deployment, tmp_path: Path) -> None:
    truth = job_with_a_model(dep, tmp_path, 0.8)
    lines = output_lines(dep)
    assert len(lines) == OBJECTS
    consolidated = np.mean(
        [line["sentiment-metadata"]["class-name"] == line["truth"] for line in lines]
    )
    alone = humans_alone(dep, truth)
    assert consolidated >= alone, (consolidated, alone)
    assert all(line["sentiment-metadata"]["human-annotated"] == "yes" for line in lines)
    report = {w.email: w for w in quality.job_quality(dep, "sentiment").workers}
    model = report["classifier@model.invalid"]
    assert model.answers == OBJECTS  # one answer per object, never twice
    assert model.estimated_accuracy is not None and model.estimated_accuracy > 0.65
    # Per class, against the people's labels alone: every class, every answer counted once.
    assert model.model and model.per_class is not None
    assert [c.label for c in model.per_class] == LABELS
    assert sum(c.answers for c in model.per_class) == OBJECTS
    # Two people right 70% of the time each give poor labels where they disagree (measured:
    # positive 0.50 of 96, negative 0.59 of 68, neutral 0.89 of 36; 0.60 over all).
    assert all(c.agreement is not None and c.agreement > 0.4 for c in model.per_class)
    assert overall(model.per_class) > 0.55
    people = [w for email, w in report.items() if not email.endswith("@model.invalid")]
    assert all(not w.model and w.per_class is None for w in people)


def test_the_per_class_report_through_rest_console_and_cli(dep: Deployment, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from tests.support.factories import make_admin
    from truthset.app import create_app
    from truthset.workforce import issue_token

    job_with_a_model(dep, tmp_path, 0.8)
    report = {w.email: w for w in quality.job_quality(dep, "sentiment").workers}
    expected = report["classifier@model.invalid"].per_class
    assert expected is not None
    admin = make_admin(dep)
    headers = {"Authorization": f"Bearer {issue_token(dep, admin.id, 'api')}"}
    with TestClient(create_app(deployment=dep)) as client:
        data = client.get("/api/v1/jobs/sentiment/quality", headers=headers).json()
        page = client.get("/console/jobs/sentiment/quality", headers=headers)
    by_email = {w["email"]: w for w in data["workers"]}
    model = by_email["classifier@model.invalid"]
    assert model["model"] is True
    assert [(c["label"], c["answers"]) for c in model["per_class"]] == [
        (c.label, c.answers) for c in expected
    ]
    assert all(w["per_class"] is None for e, w in by_email.items() if e != model["email"])
    assert page.status_code == 200
    assert "Model worker classifier@model.invalid, per class" in page.text
    settings = ["--data-dir", str(dep.settings.data_dir), "--database-url"]
    shown = CliRunner().invoke(
        app,
        [*settings, dep.settings.resolved_database_url, "job", "quality", "sentiment"],
        env={"TRUTHSET_SECRET_KEY": "test-secret-key"},
    )
    assert shown.exit_code == 0, shown.output
    assert "model classifier@model.invalid against the people's labels" in shown.output
    assert f"of {expected[0].answers}" in shown.output


def test_a_model_that_answers_at_random_loses_its_influence(
    dep: Deployment, tmp_path: Path
) -> None:
    job_with_a_model(dep, tmp_path, None)
    report = {w.email: w for w in quality.job_quality(dep, "sentiment").workers}
    model = report["classifier@model.invalid"]
    assert model.estimated_accuracy is not None
    # Near chance (1/3 for three classes) after 200 objects, well below the people.
    assert model.estimated_accuracy < 0.45
    assert model.per_class is not None
    assert all(c.agreement is not None and c.agreement < 0.55 for c in model.per_class)
    assert overall(model.per_class) < 0.45
    people = [w for email, w in report.items() if not email.endswith("@model.invalid")]
    assert all(w.estimated_accuracy and w.estimated_accuracy > 0.6 for w in people)


def test_a_failing_model_never_blocks_an_object(dep: Deployment, tmp_path: Path) -> None:
    (person,) = make_team(dep, "readers", workers=1)
    hook = tmp_path / "broken.py"
    hook.write_text("def lambda_handler(event, context):\n    raise RuntimeError('down')\n")
    from truthset.workforce.models import create_model_worker

    create_model_worker(dep, "broken", "readers", str(hook))
    manifest = write_manifest(
        dep.settings.data_dir / "t.manifest", [{"source": "a"}, {"source": "b"}]
    )
    jobs.create_job(
        dep,
        jobs.JobRequest(
            name="sentiment",
            manifest=str(manifest),
            output=str(dep.settings.data_dir / "out"),
            task_type="text-classification",
            team="readers",
            labels=LABELS,
            workers_per_object=1,
        ),
    )
    run_job(dep, jobs.describe_job(dep, "sentiment").id, "test")
    answered = 0
    while (task := dispatch.next_task(dep, person, "sentiment")) is not None:
        dispatch.submit_answer(
            dep, person, task.task_id, {"crowd-classifier": {"label": "neutral"}}
        )
        answered += 1
    assert answered == 2  # the model gave both back; the person got them
