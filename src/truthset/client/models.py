"""What the REST API returns, as plain dataclasses (field names as the API's, in snake case)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Team:
    name: str
    description: str
    members: int
    created_at: datetime

    @classmethod
    def of(cls, data: dict[str, Any]) -> Team:
        return cls(data["name"], data["description"], data["members"], _moment(data["created_at"]))  # type: ignore[arg-type]


@dataclass(frozen=True)
class LabelCounters:
    """Ground Truth's five label counters."""

    total_labeled: int
    human_labeled: int
    machine_labeled: int
    failed: int
    unlabeled: int

    @classmethod
    def of(cls, data: dict[str, int]) -> LabelCounters:
        return cls(
            data["TotalLabeled"],
            data["HumanLabeled"],
            data["MachineLabeled"],
            data["FailedNonRetryableError"],
            data["Unlabeled"],
        )


ENDED = ("Completed", "Failed", "Stopped")


@dataclass(frozen=True)
class Job:
    name: str
    status: str
    task_type: str
    label_attribute_name: str
    labels: list[str]
    team: str
    manifest: str
    output: str
    output_manifest: str
    workers_per_object: int
    objects: int
    created_at: datetime
    ended_at: datetime | None
    failure_reason: str | None
    counters: LabelCounters

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def done(self) -> int:
        """Objects labeled or failed: how far the job has got out of `objects`."""
        return self.counters.total_labeled + self.counters.failed

    @classmethod
    def of(cls, data: dict[str, Any]) -> Job:
        return cls(
            name=data["name"],
            status=data["status"],
            task_type=data["task_type"],
            label_attribute_name=data["label_attribute_name"],
            labels=list(data["labels"]),
            team=data["team"],
            manifest=data["manifest"],
            output=data["output"],
            output_manifest=data["output_manifest"],
            workers_per_object=data["workers_per_object"],
            objects=data["objects"],
            created_at=_moment(data["created_at"]),  # type: ignore[arg-type]
            ended_at=_moment(data["ended_at"]),
            failure_reason=data["failure_reason"],
            counters=LabelCounters.of(data["label_counters"]),
        )


@dataclass(frozen=True)
class Export:
    id: int
    job: str
    format: str
    min_confidence: float | None
    status: str  # Running | Completed | Failed
    objects: int
    error: str | None
    download_url: str | None

    @classmethod
    def of(cls, data: dict[str, Any]) -> Export:
        return cls(
            data["id"],
            data["job"],
            data["format"],
            data["min_confidence"],
            data["status"],
            data["objects"],
            data["error"],
            data["download_url"],
        )


@dataclass(frozen=True)
class Result:
    """One data object: its state and its output manifest line (the label attribute and its
    `-metadata` once labeled)."""

    object_id: int
    state: str
    machine_labeled: bool
    answers: int
    line: dict[str, Any]

    @classmethod
    def of(cls, data: dict[str, Any]) -> Result:
        return cls(
            data["object_id"], data["state"], data["machine_labeled"], data["answers"], data["line"]
        )


@dataclass(frozen=True)
class SentBack:
    """A data object sent back for more answers: the answers it has and is offered for now."""

    job: str
    object_id: int
    answers: int
    wanted: int
    job_status: str

    @classmethod
    def of(cls, data: dict[str, Any]) -> SentBack:
        return cls(
            data["job"], data["object_id"], data["answers"], data["wanted"], data["job_status"]
        )


@dataclass(frozen=True)
class Failure:
    """One failed data object (counted in FailedNonRetryableError): where it failed (`step`:
    pre-annotation hook, post-annotation hook, media, output, intake or labeling), why, how
    often the step was tried, and when."""

    object_id: int
    source: str | None
    source_ref: str | None
    reason: str
    step: str
    attempts: int
    failed_at: datetime | None

    @classmethod
    def of(cls, data: dict[str, Any]) -> Failure:
        return cls(
            data["object_id"],
            data["source"],
            data["source_ref"],
            data["reason"],
            data["step"],
            data["attempts"],
            _moment(data["failed_at"]),
        )
