"""Text classification jobs, single- and multi-label, from manifest to output line (4.3, 4.4)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.support.factories import make_team, write_manifest
from truthset import dispatch, jobs, taskui
from truthset.background.runner import run_job
from truthset.deployment import Deployment
from truthset.tasktypes.base import JobSpec
from truthset.tasktypes.registry import task_type
from truthset.workforce import UserInfo

MOODS = ["negative", "positive", "neutral"]
TEXTS = ["The food was delicious", "Cold soup, rude waiter", "It was a restaurant."]
DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}")


def text_job(dep: Deployment, task: str, workers: int) -> jobs.JobInfo:
    root = dep.settings.data_dir.resolve()
    manifest = write_manifest(
        root / "reviews.manifest",
        [{"source": text, "review-id": i} for i, text in enumerate(TEXTS)],
    )
    return jobs.create_job(
        dep,
        jobs.JobRequest(
            name="moods",
            manifest=str(manifest),
            output=str(root / "output"),
            task_type=task,
            team="radiologists",
            labels=list(MOODS),
            workers_per_object=workers,
            label_attribute_name="mood",
        ),
    )


def label_all(
    dep: Deployment, workers: list[UserInfo], answers: dict[int, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    for index, worker in enumerate(workers):
        while (task := dispatch.next_task(dep, worker, "moods")) is not None:
            dispatch.submit_answer(dep, worker, task.task_id, answers[task.object_id][index])
    job = jobs.describe_job(dep, "moods")
    run_job(dep, job.id, "test")
    job = jobs.describe_job(dep, "moods")
    assert job.status == "Completed"
    return [json.loads(line) for line in Path(job.output_manifest).read_text().splitlines()]


def single(label: str) -> dict[str, Any]:
    return {"crowd-classifier": {"label": label}}


def multi(*labels: str) -> dict[str, Any]:
    return {"crowd-classifier-multi-select": {"labels": list(labels)}}


def test_text_classification_ui_shows_the_text() -> None:
    kind = task_type("text-classification")
    assert (kind.gt_type, kind.input_key, kind.lambda_suffix) == (
        "groundtruth/text-classification",
        "source",
        "TextMultiClass",
    )
    spec_input = kind.task_input(
        JobSpec("j", "j", MOODS, {}, 1, "Mood?", "Pick one", ""),
        {"source": "<b>Great</b> & cheap"},
        str,
    )
    assert spec_input["taskObject"] == "<b>Great</b> & cheap"
    html = taskui.render(kind.template(), spec_input, str)
    assert (
        "<classification-target>&lt;b&gt;Great&lt;/b&gt; &amp; cheap</classification-target>"
        in html
    )
    assert "<crowd-classifier" in html


def test_single_label_output_lines(dep: Deployment) -> None:
    workers = make_team(dep, workers=2)
    text_job(dep, "text-classification", workers=2)
    lines = label_all(
        dep,
        workers,
        {
            0: [single("positive"), single("positive")],
            1: [single("negative"), single("negative")],
            2: [single("neutral"), single("negative")],
        },
    )
    assert [line["source"] for line in lines] == TEXTS
    first = lines[0]
    assert list(first) == ["source", "review-id", "mood", "mood-metadata"]
    assert first["review-id"] == 0 and first["mood"] == MOODS.index("positive")
    meta = first["mood-metadata"]
    assert set(meta) == {
        "class-name",
        "confidence",
        "type",
        "job-name",
        "human-annotated",
        "creation-date",
    }
    assert meta["class-name"] == "positive"
    assert meta["type"] == "groundtruth/text-classification"
    assert meta["job-name"] == "labeling-job/moods" and meta["human-annotated"] == "yes"
    assert DATE.fullmatch(meta["creation-date"])
    assert 0.5 < meta["confidence"] <= 1.0
    assert lines[1]["mood"] == 0 and lines[1]["mood-metadata"]["class-name"] == "negative"
    assert lines[2]["mood-metadata"]["class-name"] in ("neutral", "negative")
    assert lines[2]["mood-metadata"]["confidence"] < meta["confidence"]


def test_single_label_with_one_worker_has_confidence_zero(dep: Deployment) -> None:
    (worker,) = make_team(dep, workers=1)
    text_job(dep, "text-classification", workers=1)
    lines = label_all(dep, [worker], {i: [single(MOODS[i])] for i in range(3)})
    assert [line["mood"] for line in lines] == [0, 1, 2]
    assert [line["mood-metadata"]["class-name"] for line in lines] == MOODS
    assert {line["mood-metadata"]["confidence"] for line in lines} == {0.0}


def test_multilabel_output_lines(dep: Deployment) -> None:
    workers = make_team(dep, workers=2)
    text_job(dep, "text-classification-multilabel", workers=2)
    lines = label_all(
        dep,
        workers,
        {
            0: [multi("positive"), multi("positive", "neutral")],
            1: [multi("negative"), multi("negative")],
            2: [multi(), multi()],
        },
    )
    assert [line["source"] for line in lines] == TEXTS
    first = lines[0]
    assert list(first) == ["source", "review-id", "mood", "mood-metadata"]
    assert sorted(first["mood"]) == [1, 2]  # chosen by at least one worker
    meta = first["mood-metadata"]
    assert meta["type"] == "groundtruth/text-classification-multilabel"
    assert meta["class-map"] == {"1": "positive", "2": "neutral"}
    assert set(meta["confidence-map"]) == {"1", "2"}
    assert meta["confidence-map"]["1"] > meta["confidence-map"]["2"]
    assert all(0.0 <= c <= 1.0 for c in meta["confidence-map"].values())
    assert meta["job-name"] == "labeling-job/moods" and meta["human-annotated"] == "yes"
    assert DATE.fullmatch(meta["creation-date"])
    assert lines[1]["mood"] == [0] and lines[1]["mood-metadata"]["class-map"] == {"0": "negative"}
    assert lines[2]["mood"] == [] and lines[2]["mood-metadata"]["class-map"] == {}
