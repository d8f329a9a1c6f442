"""Worker operations: my jobs, next task, answer, decline, release."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Response
from starlette.concurrency import run_in_threadpool

from truthset import dispatch, progress, taskui
from truthset.deployment import Deployment
from truthset.dicom.ahead import prepare_leased
from truthset.dispatch import LeasedTask
from truthset.jobs import job_spec
from truthset.tasktypes.registry import task_type
from truthset.web.media import media_signer
from truthset.web.schemas import (
    AnswerIn,
    TaskOut,
    TaskStartOut,
    TaskUiOut,
    WorkerJobOut,
    WorkerProgressOut,
)
from truthset.web.security import CurrentUser, DeploymentDep

router = APIRouter(prefix="/worker", tags=["worker"])
# Task ids are INTEGER keys (32 bits on PostgreSQL): a larger number is refused as bad input
# (400), not left to overflow in the database driver (500).
TaskId = Annotated[int, Path(ge=1, le=2**31 - 1)]
T = TypeVar("T")


@router.get("/jobs", response_model=list[WorkerJobOut])
def my_jobs(user: CurrentUser, dep: DeploymentDep) -> list[WorkerJobOut]:
    """Running jobs of my teams that still have work for me."""
    return [WorkerJobOut(**vars(job)) for job in dispatch.worker_jobs(dep, user)]


def _task_out(dep: Deployment, leased: LeasedTask) -> TaskOut:
    kind = task_type(leased.job.task_type)
    sign = media_signer(dep, leased.task_id)
    task_input = kind.task_input(leased.job.spec, json.loads(leased.line), sign)
    seconds_left = (leased.expires_at - dep.clock.now()).total_seconds()
    return TaskOut(
        task_id=leased.task_id,
        data_object_id=str(leased.object_id),
        input=task_input,
        expires_at=leased.expires_at,
        job=leased.job_name,
        seconds_left=seconds_left,
    )


async def _run(dep: Deployment, call: Callable[..., T], *args: Any) -> T:
    """SQLite writes are serialised anyway: running them right on the event loop saves a
    thread hop per request. PostgreSQL work goes to the thread pool so requests overlap."""
    if dep.db.is_sqlite:
        return call(*args)
    return await run_in_threadpool(call, *args)


@router.post(
    "/jobs/{job}/next-task",
    response_model=TaskOut,
    responses={
        204: {"description": "Nothing is left for you in this job"},
        409: {
            "description": "The job is still storing its objects (error type `not_ready`): "
            "ask again after the `Retry-After` seconds"
        },
    },
)
async def next_task(job: str, user: CurrentUser, dep: DeploymentDep) -> TaskOut | Response:
    """Leases one task to me until `expires_at` (the job's task time limit). 204: nothing is
    left for me in this job now; 409 `not_ready`: the job is still being set up, retry."""
    leased = await _run(dep, dispatch.next_task, dep, user, job)
    if leased is None:
        return Response(status_code=204)
    prepare_leased(dep, leased.line)
    return _task_out(dep, leased)


@router.get(
    "/jobs/{job}/progress",
    response_model=WorkerProgressOut,
    responses={404: {"description": "No such job for you"}},
)
def job_progress(job: str, user: CurrentUser, dep: DeploymentDep) -> WorkerProgressOut:
    """How much of the job is done, and how many answers of it are mine."""
    return WorkerProgressOut(**vars(progress.worker_progress(dep, user, job)))


@router.post(
    "/tasks/{task_id}/start",
    response_model=TaskStartOut,
    responses={
        404: {"description": "No such task of yours"},
        410: {"description": "The task is no longer yours (its time ran out)"},
    },
)
def start(task_id: TaskId, user: CurrentUser, dep: DeploymentDep) -> TaskStartOut:
    """I now see the task (the portal fetches the next one ahead): its time limit counts from
    now, at most until twice the limit after it was leased."""
    return TaskStartOut(seconds_left=progress.start_task(dep, user, task_id))


@router.get("/tasks/{task_id}/ui", response_model=TaskUiOut)
def task_ui(task_id: TaskId, user: CurrentUser, dep: DeploymentDep) -> TaskUiOut:
    """The task's worker UI: the job's Liquid template rendered with the task's input."""
    task, job, line = dispatch.task_context(dep, user, task_id)
    kind = task_type(job.task_type)
    template = job.ui_template or kind.template()
    sign = media_signer(dep, task_id)
    html = taskui.render(template, kind.task_input(job_spec(job), line, sign), sign)
    return TaskUiOut(html=html, seconds_left=(task.expires_at - dep.clock.now()).total_seconds())


@router.post("/tasks/{task_id}/answer", status_code=204)
async def answer(task_id: TaskId, body: AnswerIn, user: CurrentUser, dep: DeploymentDep) -> None:
    """Stores my answer; 204 only after it is committed. 410 when the lease ended first."""
    await _run(dep, dispatch.submit_answer, dep, user, task_id, body.answer)


@router.post("/tasks/{task_id}/decline", status_code=204)
def decline(task_id: TaskId, user: CurrentUser, dep: DeploymentDep) -> None:
    """Something is wrong with this object; I will not be given it again."""
    dispatch.decline(dep, user, task_id)


@router.post("/tasks/{task_id}/release", status_code=204)
def release(task_id: TaskId, user: CurrentUser, dep: DeploymentDep) -> None:
    """I give the task back for someone else."""
    dispatch.release(dep, user, task_id)
