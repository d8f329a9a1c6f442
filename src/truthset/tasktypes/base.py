"""What every task type provides, and the records passed to it."""

from __future__ import annotations

import json
from collections.abc import Callable
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


Signer = Callable[[str], str]


@dataclass(frozen=True)
class ConsolidationContext:
    """What consolidation may use besides the answers of the objects at hand."""

    now: datetime
    # Writes a file under the job's output folder (path relative to it); returns its URI.
    write_file: Callable[[str, bytes], str]
    # (object id, worker id, answer code) of every answer of every object closed so far.
    job_answers: Callable[[], list[tuple[int, str, str]]]
    # Known answers of gold objects, by object id.
    gold: dict[int, Any] = field(default_factory=dict)
    seed: int = 0
    # Custom jobs with a post-annotation hook: runs it on the objects and returns the labels it
    # gave, by object id (objects it failed are left out and retried later); None without one.
    post_hook: Callable[[list[ObjectAnswers]], dict[int, Any]] | None = None


class TaskType(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def gt_type(self) -> str:
        """The `type` written into label metadata."""
        ...

    @property
    def input_key(self) -> str:
        """`source-ref` (media) or `source` (inline text)."""
        ...

    @property
    def lambda_suffix(self) -> str:
        """The PRE-/ACS- Lambda suffix that selects it in the SageMaker API."""
        ...

    @property
    def min_labels(self) -> int: ...

    @property
    def needs_ref(self) -> bool:
        """Whether the label attribute name must end in -ref."""
        ...

    @property
    def default_workers(self) -> int: ...

    @property
    def default_time_limit(self) -> int: ...

    def template(self) -> str:
        """The Liquid template of the worker UI (Crowd HTML Elements)."""
        ...

    @property
    def joint(self) -> bool:
        """Whether consolidation looks at the whole job at once (EM learns each worker's skill
        from all their answers): then `consolidate` may also relabel objects labeled before."""
        ...

    def task_input(self, job: JobSpec, line: dict[str, Any], sign: Signer) -> dict[str, Any]:
        """`task.input` for the template (what a pre-annotation Lambda returns as taskInput).
        Media URIs go through `sign`, which turns them into short-lived URLs for this task."""
        ...

    def validate_answer(self, job: JobSpec, answer: dict[str, Any]) -> dict[str, Any]:
        """Checks a worker's answerContent; raises Invalid naming the bad field."""
        ...

    def answer_code(self, job: JobSpec, answer: dict[str, Any]) -> str | None:
        """A compact form of a valid answer stored beside it (None when not needed)."""
        ...

    def consolidate(
        self, job: JobSpec, objects: list[ObjectAnswers], context: ConsolidationContext
    ) -> list[ObjectLabel]:
        """Labels for the objects (each has at least one answer)."""
        ...


def basic_task_input(job: JobSpec, task_object: str) -> dict[str, Any]:
    """`task.input` of the built-in templates: the object (a signed media URL or a text), the
    job's labels and its instructions."""
    return {
        "taskObject": task_object,
        "labels": job.labels,
        "header": job.title,
        "shortInstructions": job.description,
        "fullInstructions": job.instructions,
    }


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
