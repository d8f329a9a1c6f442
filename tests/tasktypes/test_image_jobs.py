"""Image task types through the real job flow: job creation, dispatch, answers, the background
runner and the output folder; then audit jobs chained on the output manifest (reference 9.3)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from tests.support.factories import make_team, write_images, write_manifest
from tests.tasktypes.support import rgba_png
from truthset import dispatch, jobs
from truthset.background.runner import run_job
from truthset.cli.main import app
from truthset.deployment import Deployment
from truthset.errors import Invalid
from truthset.tasktypes.semantic_segmentation import PALETTE
from truthset.workforce import UserInfo

LABELS = ["car", "pedestrian"]


def create(
    dep: Deployment, name: str, manifest: Path, task_type: str, **fields: Any
) -> jobs.JobInfo:
    root = dep.settings.data_dir.resolve()
    values: dict[str, Any] = {
        "name": name,
        "manifest": str(manifest),
        "output": str(root / "output"),
        "task_type": task_type,
        "team": "radiologists",
        "labels": LABELS,
        "workers_per_object": 2,
        **fields,
    }
    return jobs.create_job(dep, jobs.JobRequest(**values))


def image_manifest(dep: Deployment, count: int = 2) -> Path:
    root = dep.settings.data_dir.resolve()
    images = write_images(root / "street", count, size=(64, 48))
    return write_manifest(root / "street.manifest", [{"source-ref": str(p)} for p in images])


def label_all(
    dep: Deployment, workers: list[UserInfo], name: str, answer: Any
) -> list[dict[str, Any]]:
    """Every worker answers every object (answer(worker index, object id, task input)); the
    runner finishes the job; returns the output manifest's lines."""
    for index, worker in enumerate(workers):
        while (task := dispatch.next_task(dep, worker, name)) is not None:
            _task, _row, line = dispatch.task_context(dep, worker, task.task_id)
            dispatch.submit_answer(dep, worker, task.task_id, answer(index, task.object_id, line))
    job = jobs.describe_job(dep, name)
    run_job(dep, job.id, "test")
    done = jobs.describe_job(dep, name)
    assert done.status == "Completed", done.failure_reason
    return [json.loads(x) for x in Path(done.output_manifest).read_text().splitlines()]


def boxes(*items: tuple[str, int, int, int, int], modified: bool | None = None) -> Any:
    value: dict[str, Any] = {
        "boundingBoxes": [
            {"height": h, "label": label, "left": left, "top": top, "width": w}
            for label, left, top, w, h in items
        ],
        "inputImageProperties": {"height": 48, "width": 64},
    }
    if modified is not None:
        value["initialValueModified"] = modified
    return {"boundingBox": value}


def test_boxes_then_verification_then_adjustment(dep: Deployment) -> None:
    workers = make_team(dep, workers=2)
    create(dep, "street", image_manifest(dep), "bounding-box")
    lines = label_all(dep, workers, "street", lambda w, o, _: boxes(("car", 4 + o, 5, 20, 10)))
    assert lines[1]["street"] == {
        "image_size": [{"width": 64, "height": 48, "depth": 3}],
        "annotations": [{"class_id": 0, "left": 5, "top": 5, "width": 20, "height": 10}],
    }
    assert lines[1]["street-metadata"]["objects"] == [{"confidence": 1.0}]
    earlier = jobs.describe_job(dep, "street").output_manifest

    with pytest.raises(Invalid, match="must differ from the audited one"):
        create(
            dep,
            "check",
            Path(earlier),
            "bounding-box-verification",
            labels=["good", "bad"],
            label_attribute_name="street",
            options={"audit_label_attribute_name": "street"},
        )
    create(
        dep,
        "check",
        Path(earlier),
        "bounding-box-verification",
        labels=["good", "bad"],
        options={"audit_label_attribute_name": "street"},
    )

    def verdict(worker: int, object_id: int, line: dict[str, Any]) -> Any:
        assert line["street"]["annotations"]  # the earlier label travels with the object
        comment = {"workerComment": "box too short"} if worker == 1 and object_id == 0 else {}
        return {"crowd-image-classifier": {"label": "bad" if object_id == 0 else "good", **comment}}

    checked = label_all(dep, workers, "check", verdict)
    assert checked[0]["check"] == 1 and checked[1]["check"] == 0
    assert checked[0]["check-metadata"]["worker-feedback"] == [{"comment": "box too short"}]
    assert "worker-feedback" not in checked[1]["check-metadata"]
    assert checked[0]["street"] == lines[0]["street"]  # the audited label is kept

    create(
        dep,
        "fix",
        Path(jobs.describe_job(dep, "check").output_manifest),
        "bounding-box-adjustment",
        options={"audit_label_attribute_name": "street"},
    )

    def adjust(worker: int, object_id: int, line: dict[str, Any]) -> Any:
        if object_id == 0:
            return boxes(("car", 4, 5, 20, 30), modified=True)
        return boxes(("car", 5, 5, 20, 10), modified=False)

    fixed = label_all(dep, workers, "fix", adjust)
    assert fixed[0]["fix"]["annotations"] == [
        {"class_id": 0, "left": 4, "top": 5, "width": 20, "height": 30}
    ]
    assert fixed[0]["fix-metadata"]["adjustment-status"] == "adjusted"
    assert fixed[1]["fix-metadata"]["adjustment-status"] == "unadjusted"
    assert fixed[1]["fix-metadata"]["type"] == "groundtruth/object-detection"


def test_audit_jobs_refuse_manifests_without_the_earlier_label(dep: Deployment) -> None:
    make_team(dep, workers=1)
    with pytest.raises(Invalid) as error:
        create(
            dep,
            "check",
            image_manifest(dep, 3),
            "bounding-box-verification",
            labels=["good", "bad"],
            options={"audit_label_attribute_name": "street"},
        )
    assert "line 1: has no 'street' label to audit" in error.value.message
    assert "3 problem(s)" in error.value.message
    assert jobs.list_jobs(dep) == []


def mask_answer(mask: np.ndarray, modified: bool | None = None) -> Any:
    colors = {k + 1: PALETTE[k] for k in range(len(LABELS))}
    value: dict[str, Any] = {
        "inputImageProperties": {"height": mask.shape[0], "width": mask.shape[1]},
        "labelMappings": {label: {"color": PALETTE[k]} for k, label in enumerate(LABELS)},
        "labeledImage": {"pngImageData": rgba_png(mask, colors)},
    }
    if modified is not None:
        value["initialValueModified"] = modified
    return {"crowd-semantic-segmentation": value}


def test_segmentation_then_verification_and_adjustment(dep: Deployment) -> None:
    workers = make_team(dep, workers=2)
    job = create(dep, "city", image_manifest(dep, 1), "semantic-segmentation")
    assert job.label_attribute_name == "city-ref"  # the job's name, with Ground Truth's -ref
    truth = np.zeros((48, 64), np.uint8)
    truth[10:20, 5:30] = 2
    (line,) = label_all(dep, workers, "city", lambda w, o, _: mask_answer(truth))
    uri = line["city-ref"]
    folder = Path(job.output_folder)
    assert uri.startswith(str(folder / "annotations/consolidated-annotation/output/0/"))
    image = Image.open(io.BytesIO(Path(uri).read_bytes()))
    assert image.mode == "P" and (np.asarray(image) == truth).all()
    color_map = line["city-ref-metadata"]["internal-color-map"]
    assert color_map["2"] == {"class-name": "pedestrian", "confidence": 1.0, "hex-color": "#ff7f0e"}
    earlier = Path(job.output_manifest)

    create(
        dep,
        "check-city",
        earlier,
        "semantic-segmentation-verification",
        labels=["good", "bad"],
        options={"audit_label_attribute_name": "city-ref"},
    )
    checked = label_all(
        dep, workers, "check-city", lambda w, o, _: {"crowd-image-classifier": {"label": "good"}}
    )
    assert checked[0]["check-city-metadata"]["class-name"] == "good"
    assert checked[0]["check-city-metadata"]["type"] == "groundtruth/label-verification"

    create(
        dep,
        "fix-city",
        earlier,
        "semantic-segmentation-adjustment",
        label_attribute_name="fixed-ref",
        options={"audit_label_attribute_name": "city-ref"},
    )
    fixed = label_all(dep, workers, "fix-city", lambda w, o, _: mask_answer(truth, modified=w == 0))
    assert fixed[0]["fixed-ref-metadata"]["adjustment-status"] == "adjusted"
    assert fixed[0]["city-ref"] == uri


def test_cli_creates_an_audit_job(tmp_path: Path, database_url: str) -> None:
    data = tmp_path / "data"
    images = write_images(data / "street", 1)
    earlier = write_manifest(
        data / "earlier.manifest",
        [
            {
                "source-ref": str(images[0]),
                "boxes": {
                    "image_size": [],
                    "annotations": [{"class_id": 0, "left": 1, "top": 2, "width": 3, "height": 4}],
                },
                "boxes-metadata": {"class-map": {"0": "car"}},
            }
        ],
    )
    env = {"TRUTHSET_FAST_PASSWORD_HASHING": "1", "TRUTHSET_SECRET_KEY": "cli-test-key"}
    base = ["--data-dir", str(data), "--database-url", database_url]
    runner = CliRunner()

    def cli(*args: str) -> Any:
        return runner.invoke(app, [*base, *args], env=env)

    assert cli("team", "create", "t").exit_code == 0
    create = [
        "job",
        "create",
        "check",
        "--manifest",
        str(earlier),
        "--output",
        str(data / "out"),
        "--team",
        "t",
        "--task-type",
        "bounding-box-verification",
        "--labels",
        "good,bad",
    ]
    refused = cli(*create)
    assert refused.exit_code == 1 and "name the label to audit" in refused.output
    created = cli(*create, "--audit-label-attribute-name", "boxes")
    assert created.exit_code == 0, created.output
    assert "created with 1 objects" in created.output
