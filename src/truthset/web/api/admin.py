"""Admin operations: work teams, workers, labeling jobs."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from truthset import jobs, quality, send_back, workforce
from truthset.intake import publish
from truthset.intake.options import streaming_options
from truthset.operations.activity import Activity, job_activity
from truthset.web.schemas import (
    ActivityOut,
    InvitationOut,
    InvitationsOut,
    InviteIn,
    JobActivityOut,
    JobIn,
    JobOut,
    JobQualityOut,
    MemberOut,
    RowId,
    TeamDetailOut,
    TeamIn,
    TeamOut,
    UserOut,
    WorkerActivityOut,
    WorkerCreatedOut,
    WorkerQualityOut,
    WorkersIn,
)
from truthset.web.security import AdminUser, DeploymentDep

router = APIRouter(tags=["admin"])


@router.get("/teams", response_model=list[TeamOut])
def list_teams(_admin: AdminUser, dep: DeploymentDep) -> list[TeamOut]:
    return [TeamOut(**vars(team)) for team in workforce.list_teams(dep)]


@router.post("/teams", response_model=TeamOut, status_code=201)
def create_team(body: TeamIn, _admin: AdminUser, dep: DeploymentDep) -> TeamOut:
    """409 when a team of that name (ignoring case) exists."""
    topic = "smtp" if body.notify_workers else None
    return TeamOut(**vars(workforce.create_team(dep, body.name, body.description, topic)))


@router.get("/teams/{name}", response_model=TeamDetailOut)
def get_team(name: str, _admin: AdminUser, dep: DeploymentDep) -> TeamDetailOut:
    team, members = workforce.get_team(dep, name)
    return TeamDetailOut(**vars(team), member_list=[MemberOut(**vars(m)) for m in members])


@router.delete("/teams/{name}", status_code=204)
def delete_team(name: str, _admin: AdminUser, dep: DeploymentDep) -> None:
    """409 while the team has jobs (running or ended: the jobs keep the team they were sent
    to)."""
    workforce.delete_team(dep, name)


@router.post("/teams/{name}/invitations", response_model=InvitationsOut)
def invite(name: str, body: InviteIn, _admin: AdminUser, dep: DeploymentDep) -> InvitationsOut:
    """Adds the addresses to the team. Workers without a password get an invitation link,
    e-mailed when SMTP is configured and returned here either way."""
    results = workforce.invite(dep, name, body.emails)
    return InvitationsOut(invitations=[InvitationOut(**vars(r)) for r in results])


@router.post("/teams/{name}/workers", response_model=list[WorkerCreatedOut], status_code=201)
def create_workers(
    name: str, body: WorkersIn, _admin: AdminUser, dep: DeploymentDep
) -> list[WorkerCreatedOut]:
    """Creates active workers at once (no invitation); returns generated passwords."""
    created = workforce.create_workers(dep, body.emails, name, body.password)
    return [WorkerCreatedOut(email=user.email, password=password) for user, password in created]


@router.delete("/teams/{name}/members/{email}", status_code=204)
def remove_member(name: str, email: str, _admin: AdminUser, dep: DeploymentDep) -> None:
    workforce.remove_member(dep, name, email)


@router.post("/workers/{email}/disable", response_model=UserOut)
def disable_worker(email: str, _admin: AdminUser, dep: DeploymentDep) -> UserOut:
    """A disabled worker cannot sign in; their sessions and tokens end at once (other server
    processes, and a disable from the CLI, are seen within 5 seconds)."""
    user = workforce.set_disabled(dep, email, True)
    return UserOut(
        email=user.email, is_admin=user.is_admin, status=user.status, worker_id=user.worker_id
    )


@router.post("/workers/{email}/enable", response_model=UserOut)
def enable_worker(email: str, _admin: AdminUser, dep: DeploymentDep) -> UserOut:
    user = workforce.set_disabled(dep, email, False)
    return UserOut(
        email=user.email, is_admin=user.is_admin, status=user.status, worker_id=user.worker_id
    )


@router.post("/jobs", response_model=JobOut, status_code=201)
def create_job(body: JobIn, _admin: AdminUser, dep: DeploymentDep) -> JobOut:
    """Checks the whole manifest (400 listing bad lines, nothing created), then stores the
    objects in the background: the job is Initializing until they are in. `options` (each
    checked, 400 naming a bad one): `gold_ratio` (share of each worker's tasks that are gold
    questions, 0-1), `auto_label` (`{"target_accuracy": 0.95, "features":
    "auto|embedding|fallback", "initial_model_job": NAME}`), `max_human_labeled` and
    `max_percent_labeled` (stop the job there, as Ground Truth's StoppingConditions),
    `audit_label_attribute_name` (verification and adjustment jobs), `allowed_origins`
    (origins the worker template may load from), and for custom jobs (`ui_template` required)
    `pre_hook`, `post_hook` and `gold_hook` (scores answers to gold questions 0-1 instead of
    the exact match) (an http(s) URL, a Lambda ARN, or `{"kind": "python", "name": "pre.py",
    "source": "<the file>"}`; see docs/custom-workflows.md), and `adaptive`
    (`{"min_workers_per_object": 2, "target_confidence": 0.95}`: each object goes to the
    minimum first, then one more worker at a time until its label reaches the target, up to
    `workers_per_object`; image and text classification, single- and multi-label, and custom
    jobs whose post-annotation hook returns a confidence; see docs/adaptive.md)."""
    request = jobs.JobRequest(**body.model_dump())
    return JobOut.of(jobs.create_job(dep, request, import_now=False))


@router.get("/jobs", response_model=list[JobOut])
def list_jobs(_admin: AdminUser, dep: DeploymentDep, status: str | None = None) -> list[JobOut]:
    return [JobOut.of(job) for job in jobs.list_jobs(dep, status)]


@router.get("/jobs/{name}", response_model=JobOut)
def describe_job(name: str, _admin: AdminUser, dep: DeploymentDep) -> JobOut:
    """Status and Ground Truth's five label counters; for a streaming job also how many output
    lines its output topic or webhook never took (after every retry; docs/streaming.md)."""
    job = jobs.describe_job(dep, name)
    described = JobOut.of(job)
    if streaming_options(job.options) is not None:
        described.undelivered_output_lines = publish.undelivered(dep, job.id)[0]
    return described


@router.get("/jobs/{name}/quality", response_model=JobQualityOut)
def job_quality(name: str, _admin: AdminUser, dep: DeploymentDep) -> JobQualityOut:
    """Per worker: answers, agreement with the label, estimated accuracy, gold accuracy, median
    seconds per task; for the job: Krippendorff's alpha. A model worker of a single-label job
    also has `per_class`: per class, its agreement with the labels consolidated from the
    people's answers alone (see docs/adaptive.md)."""
    report = quality.job_quality(dep, name)
    return JobQualityOut(
        job=report.job,
        alpha=report.alpha,
        workers=[WorkerQualityOut(**dataclasses.asdict(w)) for w in report.workers],
    )


def _activity_out(activity: Activity) -> dict[str, Any]:
    return {**vars(activity), "MeanTimePerTask": activity.MeanTimePerTask}


@router.get("/jobs/{name}/worker-activity", response_model=JobActivityOut)
def worker_activity(name: str, _admin: AdminUser, dep: DeploymentDep) -> JobActivityOut:
    """Ground Truth's CloudWatch worker metrics for the job, per worker and in total: tasks
    accepted, submitted, declined, returned (released), expired; time spent and per task."""
    report = job_activity(dep, name)
    return JobActivityOut(
        job=report.job,
        ActiveWorkers=report.ActiveWorkers,
        totals=ActivityOut(**_activity_out(report.totals)),
        workers=[
            WorkerActivityOut(worker_id=worker_id, email=email, **_activity_out(activity))
            for worker_id, email, activity in report.workers
        ],
    )


@router.post("/jobs/{name}/stop", response_model=JobOut)
def stop_job(name: str, _admin: AdminUser, dep: DeploymentDep) -> JobOut:
    """Stopping -> Stopped, with the results so far written. 409 if the job is already
    stopping or has ended."""
    return JobOut.of(jobs.stop_job(dep, name))


class SendBackIn(BaseModel):
    answers: int = Field(
        default=1,
        ge=1,
        le=2**31 - 1,
        description="How many more answers to ask for (at most the workers of the team who "
        "have not been given the object)",
    )


class SentBackOut(BaseModel):
    job: str
    object_id: int
    answers: int = Field(description="Answers the object has")
    wanted: int = Field(description="Answers it is offered for now")
    job_status: str


@router.post("/jobs/{name}/objects/{object_id}/send-back", response_model=SentBackOut)
def send_object_back(
    name: str,
    object_id: RowId,
    _admin: AdminUser,
    dep: DeploymentDep,
    body: SendBackIn | None = None,
) -> SentBackOut:
    """Opens a labeled object again for `answers` more answers from workers of the team who
    have not been given it; consolidation labels it again from all its answers. Its label and
    any admin override are cleared meanwhile. A Completed job goes back to InProgress; 409 for a
    job Stopping, Stopped or Failed, or an object that is not labeled; 400 when `answers` is
    more than the team's workers who have not been given it. Audited as `object.sent_back`."""
    more = (body or SendBackIn()).answers
    return SentBackOut(**vars(send_back.send_back(dep, name, object_id, more)))
