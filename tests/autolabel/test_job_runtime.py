"""Automated labeling inside a real job: the dispatcher, the runner, the output."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from tests.support.factories import make_team, write_manifest
from truthset import dispatch, jobs
from truthset.background.runner import run_job
from truthset.db.tables import Annotation, DataObject
from truthset.deployment import Deployment
from truthset.errors import Invalid

TOPICS = {
    "sport": ["match", "goal", "team", "league", "coach", "striker", "season", "cup"],
    "money": ["bank", "shares", "market", "profit", "investors", "rates", "bonds", "fund"],
    "music": ["album", "band", "guitar", "concert", "singer", "chart", "tour", "song"],
}
FILLER = ["the", "a", "today", "after", "with", "new", "big", "week", "report", "says"]


def texts(count: int, seed: int = 3) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for index in range(count):
        topic = list(TOPICS)[index % 3]
        words = rng.sample(TOPICS[topic], 3) + rng.sample(FILLER, 5)
        rng.shuffle(words)
        out.append((" ".join(words), topic))
    return out


def auto_job(dep: Deployment, count: int, **options: object) -> tuple[jobs.JobInfo, list[str]]:
    data = texts(count)
    root = dep.settings.data_dir.resolve()
    manifest = write_manifest(root / "news.manifest", [{"source": text} for text, _ in data])
    job = jobs.create_job(
        dep,
        jobs.JobRequest(
            name="news",
            manifest=str(manifest),
            output=str(root / "out"),
            task_type="text-classification",
            team="radiologists",
            labels=list(TOPICS),
            workers_per_object=2,
            options={"auto_label": {"features": "fallback", **options}},
        ),
    )
    return job, [topic for _, topic in data]


def answer_all(dep: Deployment, workers: list, truth: list[str]) -> int:  # type: ignore[type-arg]
    given = 0
    for worker in workers:
        while (task := dispatch.next_task(dep, worker, "news")) is not None:
            dispatch.submit_answer(
                dep, worker, task.task_id, {"crowd-classifier": {"label": truth[task.object_id]}}
            )
            given += 1
    return given


def test_machine_labels_what_it_can_and_people_label_the_rest(dep: Deployment) -> None:
    workers = make_team(dep, workers=2)
    job, truth = auto_job(dep, 300)
    for _ in range(60):
        run_job(dep, job.id, "test")
        answer_all(dep, workers, truth)
        if jobs.describe_job(dep, "news").status == "Completed":
            break
    done = jobs.describe_job(dep, "news")
    assert done.status == "Completed"
    c = done.counters
    assert (
        c.machine_labeled > 0
        and c.total_labeled == 300
        and c.human_labeled + c.machine_labeled == 300
    )
    lines = [json.loads(line) for line in Path(done.output_manifest).read_text().splitlines()]
    machine = [
        (i, line)
        for i, line in enumerate(lines)
        if line["news-metadata"]["human-annotated"] == "no"
    ]
    assert len(machine) == c.machine_labeled
    right = sum(line["news-metadata"]["class-name"] == truth[i] for i, line in machine)
    assert right / len(machine) >= 0.95
    with dep.db.read() as conn:
        answered = set(
            conn.scalars(select(Annotation.object_id).where(Annotation.job_id == job.id))
        )
    assert not answered & {i for i, _ in machine}, "an object got both a machine and a human label"
    folder = Path(done.output_folder) / "activelearning"
    records = [json.loads(p.read_text()) for p in sorted(folder.glob("*/iteration.json"))]
    iterations = [r for r in records if r["step"] == "iteration"]
    assert iterations and all(
        r["threshold"] is None or r["lower_bound"] >= 0.95 for r in iterations
    )
    assert sum(1 for _ in folder.glob("iteration-*/auto_annotator_output.txt")) >= 1


def test_too_small_a_job_stays_all_human_and_says_why(dep: Deployment) -> None:
    workers = make_team(dep, workers=2)
    job, truth = auto_job(dep, 60)
    for _ in range(5):
        run_job(dep, job.id, "test")
        answer_all(dep, workers, truth)
    run_job(dep, job.id, "test")
    done = jobs.describe_job(dep, "news")
    assert done.status == "Completed" and done.counters.machine_labeled == 0
    notes = [
        json.loads(p.read_text())
        for p in (Path(done.output_folder) / "activelearning").glob("*/iteration.json")
    ]
    assert any(n["step"] == "all_human" and "at least 200" in n["reason"] for n in notes)


def test_stop_while_objects_wait_for_the_model(dep: Deployment) -> None:
    workers = make_team(dep, workers=2)
    job, truth = auto_job(dep, 300)
    run_job(dep, job.id, "test")
    answer_all(dep, workers[:1], truth)
    jobs.stop_job(dep, "news")
    run_job(dep, job.id, "test")
    done = jobs.describe_job(dep, "news")
    assert done.status == "Stopped" and done.counters.unlabeled > 0
    with dep.db.read() as conn:
        states = set(conn.scalars(select(DataObject.state).where(DataObject.job_id == job.id)))
    assert states <= {"held", "labeled", "queued", "failed"}


def test_only_single_label_classification_can_auto_label(dep: Deployment) -> None:
    make_team(dep, workers=0)
    root = dep.settings.data_dir.resolve()
    manifest = write_manifest(root / "m.manifest", [{"source": "x"}])
    with pytest.raises(Invalid, match="automated labeling works for"):
        jobs.create_job(
            dep,
            jobs.JobRequest(
                name="multi",
                manifest=str(manifest),
                output=str(root / "out"),
                task_type="text-classification-multilabel",
                team="radiologists",
                labels=["a", "b"],
                options={"auto_label": {}},
            ),
        )
    with pytest.raises(Invalid, match="target accuracy"):
        jobs.create_job(
            dep,
            jobs.JobRequest(
                name="single",
                manifest=str(manifest),
                output=str(root / "out"),
                task_type="text-classification",
                team="radiologists",
                labels=["a", "b"],
                options={"auto_label": {"target_accuracy": 1.5}},
            ),
        )


def test_console_shows_the_iterations(dep: Deployment) -> None:
    from fastapi.testclient import TestClient

    from tests.support.factories import make_admin
    from truthset.app import create_app
    from truthset.workforce import issue_token

    workers = make_team(dep, workers=2)
    job, truth = auto_job(dep, 300)
    for _ in range(30):
        run_job(dep, job.id, "test")
        answer_all(dep, workers, truth)
    headers = {"Authorization": f"Bearer {issue_token(dep, make_admin(dep).id, 'api')}"}
    with TestClient(create_app(deployment=dep)) as client:
        page = client.get("/console/jobs/news", headers=headers)
    assert page.status_code == 200
    assert (
        "Automated labeling" in page.text
        and "Iteration 1" in page.text
        and "validation" in page.text
    )


def test_an_object_without_features_goes_to_people_and_the_job_completes(
    dep: Deployment,
) -> None:
    workers = make_team(dep, workers=2)
    root = dep.settings.data_dir.resolve()
    colours = {"red": (220, 20, 20), "green": (20, 220, 20), "blue": (20, 20, 220)}
    truth = [list(colours)[i % 3] for i in range(240)]
    lines = []
    for index, name in enumerate(truth):
        path = root / "img" / f"{index:04d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (32, 32), colours[name]).save(path)
        lines.append({"source-ref": str(path)})
    job = jobs.create_job(
        dep,
        jobs.JobRequest(
            name="colours",
            manifest=str(write_manifest(root / "colours.manifest", lines)),
            output=str(root / "out"),
            task_type="image-classification",
            team="radiologists",
            labels=list(colours),
            workers_per_object=2,
            options={"auto_label": {"features": "fallback"}},
        ),
    )
    (root / "img" / "0005.png").unlink()  # its features cannot be computed
    run_job(dep, job.id, "test")
    with dep.db.read() as conn:
        state = conn.scalar(
            select(DataObject.state).where(DataObject.job_id == job.id, DataObject.object_id == 5)
        )
    assert state == "queued"
    for _ in range(60):
        for worker in workers:
            while (task := dispatch.next_task(dep, worker, "colours")) is not None:
                label = truth[task.object_id]
                dispatch.submit_answer(
                    dep, worker, task.task_id, {"crowd-image-classifier": {"label": label}}
                )
        run_job(dep, job.id, "test")
        if jobs.describe_job(dep, "colours").status != "InProgress":
            break
    done = jobs.describe_job(dep, "colours")
    assert done.status == "Completed" and done.counters.machine_labeled > 0
    assert done.counters.total_labeled == 240
