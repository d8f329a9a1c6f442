"""Labeled jobs for export tests: created and answered through the domain, with answers the
tests choose, so the consolidated label is known exactly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tests.support.factories import write_images, write_manifest
from tests.tasktypes.support import rgba_png
from truthset import dispatch, jobs
from truthset.background.runner import run_job
from truthset.deployment import Deployment
from truthset.tasktypes.semantic_segmentation import PALETTE
from truthset.workforce import UserInfo

LABELS = ["car", "pedestrian"]
WIDTH, HEIGHT = 64, 48
TEXTS = ["Ada Lovelace met Charles Babbage in London.", "Nothing to see here."]
Answer = Callable[[int, int], Any]


def labeled_job(
    dep: Deployment,
    workers: list[UserInfo],
    name: str,
    task_type: str,
    answer: Answer,
    finish: bool = True,
    **fields: Any,
) -> jobs.JobInfo:
    """A job of `task_type` whose workers (of make_team) answer object o with
    answer(worker index, o); the background runner then labels every object."""
    root = dep.settings.data_dir.resolve()
    if task_type.startswith(("text", "named")):
        lines: list[dict[str, Any]] = [{"source": text} for text in TEXTS]
    else:
        images = write_images(root / f"{name}-images", 2, size=(WIDTH, HEIGHT))
        lines = [{"source-ref": str(p)} for p in images]
    manifest = write_manifest(root / f"{name}.manifest", lines)
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
    jobs.create_job(dep, jobs.JobRequest(**values))
    for index, worker in enumerate(workers):
        while (task := dispatch.next_task(dep, worker, name)) is not None:
            dispatch.submit_answer(dep, worker, task.task_id, answer(index, task.object_id))
    if not finish:  # a live server's runner labels the objects
        return jobs.describe_job(dep, name)
    run_job(dep, jobs.describe_job(dep, name).id, "test")
    done = jobs.describe_job(dep, name)
    assert done.status == "Completed", done.failure_reason
    return done


def output_lines(job: jobs.JobInfo) -> list[dict[str, Any]]:
    return [json.loads(x) for x in Path(job.output_manifest).read_text().splitlines()]


def boxes(*items: tuple[str, int, int, int, int]) -> Any:
    return {
        "boundingBox": {
            "boundingBoxes": [
                {"height": h, "label": label, "left": left, "top": top, "width": w}
                for label, left, top, w, h in items
            ],
            "inputImageProperties": {"height": HEIGHT, "width": WIDTH},
        }
    }


def shapes(key: str, items: list[dict[str, Any]]) -> Any:
    return {
        "annotatedResult": {
            "inputImageProperties": {"height": HEIGHT, "width": WIDTH},
            key: items,
        }
    }


def mask_answer(mask: np.ndarray) -> Any:
    colors = {k + 1: PALETTE[k] for k in range(len(LABELS))}
    return {
        "crowd-semantic-segmentation": {
            "inputImageProperties": {"height": mask.shape[0], "width": mask.shape[1]},
            "labelMappings": {label: {"color": PALETTE[k]} for k, label in enumerate(LABELS)},
            "labeledImage": {"pngImageData": rgba_png(mask, colors)},
        }
    }


def entity(text: str, needle: str, label: str) -> dict[str, Any]:
    start = text.index(needle)
    return {"label": label, "startOffset": start, "endOffset": start + len(needle)}
