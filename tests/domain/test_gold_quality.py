"""Gold questions (never revealed, scored, not counted, used by consolidation) and the worker
quality report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.factories import VIEWS, answer, make_team, write_images, write_manifest
from truthset import dispatch, jobs, quality
from truthset.background.runner import run_job
from truthset.deployment import Deployment
from truthset.errors import Invalid
from truthset.tasktypes.classification import IMAGE_CLASSIFICATION
from truthset.taskui import render

TRUTH = ["Right-CC", "Left-CC", "Right-MLO", "Left-MLO", "Right-CC", "Left-CC"]
GOLD = ["Left-MLO", "Right-MLO", "Not a mammography", "Left-CC"]


def gold_job(dep: Deployment, ratio: float = 0.5) -> jobs.JobInfo:
    root = dep.settings.data_dir.resolve()
    images = write_images(root / "imgs", len(TRUTH) + len(GOLD))
    lines: list[dict[str, object]] = [{"source-ref": str(p)} for p in images[: len(TRUTH)]]
    lines += [
        {"source-ref": str(p), "truthset-gold": g}
        for p, g in zip(images[len(TRUTH) :], GOLD, strict=True)
    ]
    manifest = write_manifest(root / "gold.manifest", lines)
    return jobs.create_job(
        dep,
        jobs.JobRequest(
            name="views",
            manifest=str(manifest),
            output=str(root / "out"),
            task_type="image-classification",
            team="radiologists",
            labels=list(VIEWS),
            workers_per_object=3,
            options={"gold_ratio": ratio},
        ),
    )


def truth_of(object_id: int) -> str:
    return TRUTH[object_id] if object_id < len(TRUTH) else GOLD[object_id - len(TRUTH)]


def test_gold_questions_are_mixed_in_scored_and_not_counted(dep: Deployment) -> None:
    good_a, good_b, spammer = make_team(dep, workers=3)
    job = gold_job(dep)
    assert job.object_count == len(TRUTH)
    gold_seen = 0
    for worker in (good_a, good_b, spammer):
        while (task := dispatch.next_task(dep, worker, "views")) is not None:
            _task, row, line = dispatch.task_context(dep, worker, task.task_id)
            shown = IMAGE_CLASSIFICATION.task_input(
                jobs.job_spec(row), line, lambda uri: "/media/x"
            )
            html = render(IMAGE_CLASSIFICATION.template(), shown, lambda uri: uri)
            assert "truthset-gold" not in json.dumps(shown) + html, (
                "gold answers are never revealed"
            )
            gold_seen += task.object_id >= len(TRUTH)
            label = truth_of(task.object_id) if worker is not spammer else "Not a mammography"
            dispatch.submit_answer(dep, worker, task.task_id, answer(label))
    assert gold_seen > 0
    run_job(dep, job.id, "test")
    done = jobs.describe_job(dep, "views")
    assert done.status == "Completed"
    assert done.counters.as_ground_truth() == {
        "TotalLabeled": 6,
        "HumanLabeled": 6,
        "MachineLabeled": 0,
        "FailedNonRetryableError": 0,
        "Unlabeled": 0,
    }
    lines = Path(done.output_manifest).read_text().splitlines()
    manifest = Path(done.manifest_uri).read_text().splitlines()
    assert lines[len(TRUTH) :] == manifest[len(TRUTH) :], "gold lines are copied unchanged"
    labels = [json.loads(line)["views-metadata"]["class-name"] for line in lines[: len(TRUTH)]]
    assert labels == TRUTH, "two good workers outvote the spammer once EM has seen the gold answers"

    report = quality.job_quality(dep, "views")
    by_email = {w.email: w for w in report.workers}
    assert by_email[spammer.email].agreement is not None and by_email[spammer.email].agreement < 0.5
    assert by_email[good_a.email].agreement == 1.0
    assert by_email[good_a.email].gold_answers + by_email[good_b.email].gold_answers > 0
    for worker in (good_a, good_b):
        row = by_email[worker.email]
        assert row.gold_accuracy == (1.0 if row.gold_answers else None)
    assert by_email[good_a.email].estimated_accuracy > by_email[spammer.email].estimated_accuracy  # type: ignore[operator]
    assert report.alpha is not None and report.alpha < 1.0
    csv_text = quality.quality_csv(report)
    assert csv_text.splitlines()[0] == ",".join(quality.CSV_FIELDS)
    assert len(csv_text.splitlines()) == 4


def test_gold_answers_are_checked_against_the_labels(dep: Deployment) -> None:
    make_team(dep, workers=0)
    root = dep.settings.data_dir.resolve()
    (image,) = write_images(root / "imgs", 1)
    manifest = write_manifest(
        root / "bad-gold.manifest",
        [{"source-ref": str(image)}, {"source-ref": str(image), "truthset-gold": "Cat"}],
    )
    with pytest.raises(Invalid) as raised:
        jobs.create_job(
            dep,
            jobs.JobRequest(
                name="views",
                manifest=str(manifest),
                output=str(root / "out"),
                task_type="image-classification",
                team="radiologists",
                labels=list(VIEWS),
            ),
        )
    assert raised.value.problems == ["line 2: gold answer 'Cat' is not one of the job's labels"]


def test_quality_page_csv_and_api(dep: Deployment) -> None:
    from fastapi.testclient import TestClient

    from tests.support.factories import make_admin
    from truthset.app import create_app
    from truthset.workforce import issue_token

    workers = make_team(dep, workers=2)
    gold_job(dep, ratio=0.0)
    for worker in workers:
        while (task := dispatch.next_task(dep, worker, "views")) is not None:
            dispatch.submit_answer(dep, worker, task.task_id, answer(truth_of(task.object_id)))
    admin = make_admin(dep)
    headers = {"Authorization": f"Bearer {issue_token(dep, admin.id, 'api')}"}
    with TestClient(create_app(deployment=dep)) as client:
        page = client.get("/console/jobs/views/quality", headers=headers)
        assert page.status_code == 200 and workers[0].email in page.text
        csv_response = client.get("/console/jobs/views/quality.csv", headers=headers)
        assert csv_response.headers["content-type"].startswith("text/csv")
        assert csv_response.text.count("\n") == 3
        data = client.get("/api/v1/jobs/views/quality", headers=headers).json()
        assert {w["email"] for w in data["workers"]} == {w.email for w in workers}
        assert all(w["answers"] == len(TRUTH) and w["gold_answers"] == 0 for w in data["workers"])
        worker_token = {"Authorization": f"Bearer {issue_token(dep, workers[0].id, 'api')}"}
        assert client.get("/api/v1/jobs/views/quality", headers=worker_token).status_code == 403
