"""Request and response shapes of the REST API (what /api/v1/openapi.json documents)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import AfterValidator, BaseModel, Field, StrictBool

from truthset.jobs import JobInfo


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# The database keeps UTC without a zone; the API says so (RFC 3339: 2026-11-25T09:00:00Z).
Timestamp = Annotated[datetime, AfterValidator(_utc)]


class ErrorBody(BaseModel):
    type: str = Field(description="invalid, unauthenticated, forbidden, not_found, conflict, ...")
    message: str
    problems: list[str] | None = None


class ErrorOut(BaseModel):
    """Every error answer of the REST API."""

    error: ErrorBody


class LoginIn(BaseModel):
    email: str
    password: str


class TokenOut(BaseModel):
    token: str


class UserOut(BaseModel):
    email: str
    is_admin: bool
    status: str
    worker_id: str


class TeamIn(BaseModel):
    name: str = Field(description="1-63 letters, digits and hyphens; unique ignoring case")
    description: str = ""
    notify_workers: bool = Field(
        False, description="E-mail the members when a job with work for them starts"
    )


# A row id in a route: the database's INTEGER is 32 bits, so anything larger is not found
# (a bad request, never a driver overflow and a 500).
RowId = Annotated[int, Path(ge=0, le=2**31 - 1)]


class NotificationsIn(BaseModel):
    # Strict: "yes" or 1 is not a choice the worker made.
    email_on_new_work: StrictBool = Field(
        description="E-mail me when a job of my teams starts (teams that notify)"
    )


class TeamOut(BaseModel):
    name: str
    description: str
    members: int
    created_at: Timestamp


class MemberOut(BaseModel):
    email: str
    status: str = Field(description="invited | active | disabled")


class TeamDetailOut(TeamOut):
    member_list: list[MemberOut]


class InviteIn(BaseModel):
    emails: list[str] = Field(min_length=1, max_length=100)


class InvitationOut(BaseModel):
    email: str
    status: str
    url: str | None = Field(
        description="The invitation link, for workers who still need to set a password"
    )
    emailed: bool


class InvitationsOut(BaseModel):
    invitations: list[InvitationOut]


class WorkersIn(BaseModel):
    emails: list[str] = Field(min_length=1, max_length=100)
    password: str | None = Field(
        None, description="Without one, each worker gets a generated password"
    )


class WorkerCreatedOut(BaseModel):
    email: str
    password: str | None


class JobIn(BaseModel):
    name: str
    manifest: str = Field(
        "", description="Input manifest: a local path or s3:// URI (optional for streaming jobs)"
    )
    output: str = Field(description="Output folder: a local path or s3:// URI")
    task_type: str = "image-classification"
    team: str
    labels: list[str] | None = None
    label_config: str | None = Field(None, description="URI of a Ground Truth label category file")
    workers_per_object: int | None = None
    title: str | None = None
    description: str | None = None
    instructions: str = ""
    label_attribute_name: str | None = None
    task_time_limit: int | None = None
    task_availability: int = 2_592_000
    max_concurrent_tasks: int = 1000
    ui_template: str | None = Field(
        None, description="Worker template (Liquid); custom jobs need one"
    )
    options: dict[str, Any] = Field(default_factory=dict)


class JobFromJobIn(BaseModel):
    """A chained or cloned job: its name and what it does differently from the old one."""

    name: str
    label_attribute_name: str | None = None
    team: str | None = None
    title: str | None = None
    description: str | None = None
    workers_per_object: int | None = None
    max_concurrent_tasks: int | None = None


class ObjectsAddedOut(BaseModel):
    added: int = Field(description="Objects stored (committed) by this request")
    duplicates: int = Field(description="Lines left out: the job has an object with their id")


class LabelCountersOut(BaseModel):
    TotalLabeled: int
    HumanLabeled: int
    MachineLabeled: int
    FailedNonRetryableError: int
    Unlabeled: int


class JobOut(BaseModel):
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
    title: str
    description: str
    task_time_limit: int
    task_availability: int
    max_concurrent_tasks: int
    objects: int
    created_at: Timestamp
    updated_at: Timestamp
    ended_at: Timestamp | None
    failure_reason: str | None
    label_counters: LabelCountersOut
    undelivered_output_lines: int | None = Field(
        None,
        description="Streaming jobs, in describe only: output lines given up on after every "
        "retry (in the output manifest, but the output topic or webhook never took them)",
    )

    @classmethod
    def of(cls, job: JobInfo) -> JobOut:
        return cls(
            name=job.name,
            status=job.status,
            task_type=job.task_type,
            label_attribute_name=job.label_attribute_name,
            labels=job.labels,
            team=job.team,
            manifest=job.manifest_uri,
            output=job.output_uri,
            output_manifest=job.output_manifest,
            workers_per_object=job.workers_per_object,
            title=job.title,
            description=job.description,
            task_time_limit=job.task_time_limit,
            task_availability=job.task_availability,
            max_concurrent_tasks=job.max_concurrent_tasks,
            objects=job.object_count,
            created_at=job.created_at,
            updated_at=job.updated_at,
            ended_at=job.ended_at,
            failure_reason=job.failure_reason,
            label_counters=LabelCountersOut(**job.counters.as_ground_truth()),
        )


class WorkerJobOut(BaseModel):
    name: str
    title: str
    description: str
    task_type: str
    remaining: int = Field(description="Objects you could still be given")
    task_time_limit: int


class TaskOut(BaseModel):
    task_id: int
    data_object_id: str
    input: dict[str, Any] = Field(
        description="task.input of the template; media as signed, short-lived URLs"
    )
    expires_at: Timestamp
    job: str
    seconds_left: float


class WorkerProgressOut(BaseModel):
    objects: int = Field(description="Data objects in the job")
    done: int = Field(description="Objects that need no more answers (answered, labeled, failed)")
    mine: int = Field(description="Answers you submitted in the job")


class TaskStartOut(BaseModel):
    seconds_left: float = Field(description="The task time limit, counted from now")


class TaskUiOut(BaseModel):
    html: str
    seconds_left: float


class AnswerIn(BaseModel):
    answer: dict[str, Any] = Field(
        description='The answerContent, e.g. {"crowd-image-classifier": {"label": "Left-CC"}}'
    )


class ClassAgreementOut(BaseModel):
    label: str
    answers: int = Field(description="The model's answers to objects the people label so")
    agreement: float | None = Field(description="Share of those answers that give this label")


class WorkerQualityOut(BaseModel):
    email: str
    worker_id: str
    answers: int
    agreement: float | None
    estimated_accuracy: float | None
    gold_answers: int
    gold_accuracy: float | None
    median_seconds: float | None
    model: bool = Field(False, description="A model worker (a hook), not a person")
    per_class: list[ClassAgreementOut] | None = Field(
        None,
        description="Model workers of single-label jobs: per class, agreement with the labels "
        "consolidated from the people's answers alone",
    )
    gold_unscored: int = Field(
        0, description="Custom jobs with a gold hook: answers to gold questions it gave no score"
    )


class JobQualityOut(BaseModel):
    job: str
    alpha: float | None = Field(description="Krippendorff's alpha (nominal) over the job's answers")
    workers: list[WorkerQualityOut]


class ActivityOut(BaseModel):
    """Ground Truth's CloudWatch worker metrics (AWS/SageMaker/Workteam) for one job."""

    TasksAccepted: int
    TasksSubmitted: int
    TasksDeclined: int
    TasksReturned: int = Field(description="Given back by the worker (released)")
    TasksExpired: int = Field(description="Leases that ran out before an answer")
    TimeSpent: float = Field(description="Seconds from lease to answer over submitted tasks")
    MeanTimePerTask: float | None


class WorkerActivityOut(ActivityOut):
    worker_id: str
    email: str


class JobActivityOut(BaseModel):
    job: str
    ActiveWorkers: int = Field(description="Workers who submitted at least one task")
    totals: ActivityOut
    workers: list[WorkerActivityOut]
