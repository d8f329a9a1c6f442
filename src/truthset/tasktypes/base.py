"""What every task type provides, and the records passed to it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class JobSpec:
    """The parts of a job a task type needs."""

    name: str
    label_attribute_name: str
    labels: list[str]
    label_config: dict[str, Any]
    workers_per_object: int
    title: str
    description: str
    instructions: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkerAnswer:
    worker_id: str  # pseudonymous id, as in Ground Truth's worker-response files
    user_id: int
    content: dict[str, Any]
    accepted_at: datetime
    submitted_at: datetime


@dataclass(frozen=True)
class ObjectAnswers:
    object_id: int
    line: dict[str, Any]
    answers: list[WorkerAnswer]


@dataclass(frozen=True)
class ObjectLabel:
    """A consolidated label: `content` holds the label attribute and its `-metadata`."""

    object_id: int
    content: dict[str, Any]
    machine: bool = False


class TaskType(Protocol):
    name: str
    gt_type: str  # the `type` written into label metadata
    input_key: str  # "source-ref" (media) or "source" (inline text)
    lambda_suffix: str  # the PRE-/ACS- Lambda suffix that selects it in the SageMaker API
    min_labels: int
    needs_ref: bool  # whether the label attribute name must end in -ref
    default_workers: int
    default_time_limit: int

    def template(self) -> str:
        """The Liquid template of the worker UI (Crowd HTML Elements)."""
        ...

    def task_input(self, job: JobSpec, line: dict[str, Any]) -> dict[str, Any]:
        """`task.input` for the template; media URIs are signed later by the caller."""
        ...

    def media_keys(self) -> tuple[str, ...]:
        """Keys of task_input whose values are media URIs to sign."""
        ...

    def validate_answer(self, job: JobSpec, answer: dict[str, Any]) -> dict[str, Any]:
        """Checks a worker's answerContent; raises Invalid naming the bad field."""
        ...

    def consolidate(self, job: JobSpec, objects: list[ObjectAnswers]) -> list[ObjectLabel]: ...


def load_template(filename: str) -> str:
    return (TEMPLATES / filename).read_text()


def creation_date(moment: datetime) -> str:
    """Ground Truth's creation-date: ISO-8601 without zone, with microseconds."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def round_confidence(value: float, answers: int) -> float:
    """Ground Truth's rules: two decimals, and 0.00 when a single worker answered."""
    return 0.0 if answers <= 1 else round(float(value), 2)


def label_config_json(labels: list[str]) -> dict[str, Any]:
    return {"document-version": "2018-11-28", "labels": [{"label": label} for label in labels]}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
