"""Builders for task type tests: job specs, answers and a consolidation context whose files
are kept in memory."""

from __future__ import annotations

import base64
import io
from datetime import datetime
from typing import Any

import numpy as np
from PIL import Image

from truthset.tasktypes.base import ConsolidationContext, JobSpec, ObjectAnswers, WorkerAnswer

NOW = datetime(2026, 11, 25, 9, 30, 0, 123456)


def spec(labels: list[str], attribute: str = "out", **options: Any) -> JobSpec:
    return JobSpec(
        name="job",
        label_attribute_name=attribute,
        labels=labels,
        label_config={"labels": [{"label": x} for x in labels]},
        workers_per_object=3,
        title="Title",
        description="Short",
        instructions="<p>Full</p>",
        options=options,
    )


def obj(contents: list[dict[str, Any]], object_id: int = 0, **line: Any) -> ObjectAnswers:
    answers = [WorkerAnswer(f"w{i}", i, content, NOW, NOW) for i, content in enumerate(contents)]
    return ObjectAnswers(object_id, {"source-ref": "/data/a.png", **line}, answers)


class Files:
    """A consolidation context's output folder, in memory."""

    def __init__(self) -> None:
        self.written: dict[str, bytes] = {}

    def context(self, rows: list[tuple[int, str, str]] | None = None) -> ConsolidationContext:
        def write_file(path: str, data: bytes) -> str:
            self.written[path] = data
            return f"/out/job/{path}"

        return ConsolidationContext(now=NOW, write_file=write_file, job_answers=lambda: rows or [])


def rgba_png(mask: np.ndarray, colors: dict[int, str]) -> str:
    """Base64 RGBA PNG of a class mask, as the segmentation tool sends it: label colours,
    transparent where nothing is labelled."""
    rgba = np.zeros((*mask.shape, 4), np.uint8)
    for k, color in colors.items():
        rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
        rgba[mask == k] = [*rgb, 255]
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()
