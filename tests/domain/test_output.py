"""The output folder matches Ground Truth's layout and line shapes (reference section 5, 4.3)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.factories import VIEWS, answer, make_job, make_team
from truthset import dispatch, jobs
from truthset.background.runner import run_job
from truthset.deployment import Deployment


def label_all(dep: Deployment, workers: list, labels: dict[int, list[str]]) -> jobs.JobInfo:  # type: ignore[type-arg]
    for index, worker in enumerate(workers):
        while (task := dispatch.next_task(dep, worker, "views")) is not None:
            dispatch.submit_answer(dep, worker, task.task_id, answer(labels[task.object_id][index]))
    job = jobs.describe_job(dep, "views")
    run_job(dep, job.id, "test")
    return jobs.describe_job(dep, "views")


def test_output_manifest_lines(dep: Deployment) -> None:
    workers = make_team(dep, workers=3)
    make_job(dep, objects=3, workers_per_object=3, max_concurrent_tasks=2)
    job = label_all(
        dep,
        workers,
        {0: ["Left-CC"] * 3, 1: ["Right-MLO", "Right-MLO", "Left-MLO"], 2: ["Left-CC"] * 3},
    )
    folder = Path(job.output_folder)
    lines = (folder / "manifests/output/output.manifest").read_text().splitlines()
    assert len(lines) == 3
    first = json.loads(lines[0])
    assert list(first) == ["source-ref", "n", "views", "views-metadata"]
    assert first["views"] == VIEWS.index("Left-CC")
    meta = first["views-metadata"]
    assert meta["confidence"] == 1.0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", meta["creation-date"])
    second = json.loads(lines[1])["views-metadata"]
    assert second["class-name"] == "Right-MLO" and 0.5 < second["confidence"] <= 1.0


def test_unlabeled_lines_are_copied_unchanged_and_one_worker_confidence_is_zero(
    dep: Deployment,
) -> None:
    (worker,) = make_team(dep, workers=1)
    make_job(dep, objects=3, workers_per_object=1)
    manifest_lines = Path(jobs.describe_job(dep, "views").manifest_uri).read_text().splitlines()
    task = dispatch.next_task(dep, worker, "views")
    assert task is not None
    dispatch.submit_answer(dep, worker, task.task_id, answer("Not a mammography"))
    job = jobs.describe_job(dep, "views")
    run_job(dep, job.id, "test")
    lines = Path(job.output_manifest).read_text().splitlines()
    labeled = json.loads(lines[task.object_id])
    assert labeled["views-metadata"]["confidence"] == 0.0
    others = [i for i in range(3) if i != task.object_id]
    assert [lines[i] for i in others] == [manifest_lines[i] for i in others]


def test_worker_response_and_consolidation_files(dep: Deployment) -> None:
    workers = make_team(dep, workers=2)
    make_job(dep, objects=1, workers_per_object=2)
    job = label_all(dep, workers, {0: ["Left-CC", "Right-CC"]})
    folder = Path(job.output_folder)
    responses = list((folder / "annotations/worker-response/iteration-1/0").glob("*.json"))
    assert len(responses) == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d\.json", responses[0].name)
    answers = json.loads(responses[0].read_text())["answers"]
    assert [a["answerContent"] for a in answers] == [answer("Left-CC"), answer("Right-CC")]
    assert {a["workerId"] for a in answers} == {w.worker_id for w in workers}
    assert all(a["submissionTime"].endswith("Z") and a["timeSpentInSeconds"] >= 0 for a in answers)
    (response_file,) = (
        folder / "annotations/consolidated-annotation/consolidation-response/iteration-1"
    ).glob("*.json")
    response = json.loads(response_file.read_text())
    assert response[0]["datasetObjectId"] == "0"
    assert set(response[0]["consolidatedAnnotation"]["content"]) == {"views", "views-metadata"}
    (request_file,) = (
        folder / "annotations/consolidated-annotation/consolidation-request/iteration-1"
    ).glob("*.json")
    request = json.loads(request_file.read_text())
    assert request[0]["dataObject"]["s3Uri"].endswith("img-0000.png")
    assert json.loads(request[0]["annotations"][0]["annotationData"]["content"]) == answer(
        "Left-CC"
    )
    data = json.loads((folder / "annotation-tool/data.json").read_text())
    assert data == {"document-version": "2018-11-28", "labels": [{"label": v} for v in VIEWS]}
    assert "crowd-image-classifier" in (folder / "annotation-tool/template.liquid").read_text()


def test_a_chained_manifest_keeps_its_labels_and_labels_the_rest(dep: Deployment) -> None:
    """Ground Truth's chaining (reference 9.3): with the same label attribute name, objects that
    already carry it are not sent again; the others are labeled under that name."""
    (worker,) = make_team(dep, workers=1)
    root = dep.settings.data_dir.resolve()
    from tests.support.factories import write_images, write_manifest

    labeled, fresh = write_images(root / "imgs", 2)
    carried = {"source-ref": str(labeled), "view": 3, "view-metadata": {"old": True}}
    manifest = write_manifest(root / "chained.manifest", [carried, {"source-ref": str(fresh)}])
    jobs.create_job(
        dep,
        jobs.JobRequest(
            name="views",
            manifest=str(manifest),
            output=str(root / "out"),
            task_type="image-classification",
            team="radiologists",
            labels=list(VIEWS),
            workers_per_object=1,
            label_attribute_name="view",
        ),
    )
    task = dispatch.next_task(dep, worker, "views")
    assert task is not None and task.object_id == 1
    dispatch.submit_answer(dep, worker, task.task_id, answer("Right-CC"))
    assert dispatch.next_task(dep, worker, "views") is None
    job = jobs.describe_job(dep, "views")
    run_job(dep, job.id, "test")
    first, second = (json.loads(x) for x in Path(job.output_manifest).read_text().splitlines())
    assert first == carried
    assert list(second) == ["source-ref", "view", "view-metadata"]
    assert second["view"] == 0 and second["view-metadata"]["class-name"] == "Right-CC"
