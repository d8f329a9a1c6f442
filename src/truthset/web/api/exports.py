"""Exports for training and results, for admins: start an export (made in the background),
its status, its download; a job's results and its failed objects page by page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from truthset import exports, failures, jobs, output
from truthset.exports import runs
from truthset.web.schemas import RowId
from truthset.web.security import AdminUser, DeploymentDep

router = APIRouter(tags=["exports"])


class ExportIn(BaseModel):
    format: str = Field(description=f"One of {', '.join(exports.FORMATS)}")
    min_confidence: float | None = Field(
        default=None, description="Leave out objects whose confidence is under this (0-1)"
    )


class ExportOut(BaseModel):
    id: int
    job: str
    format: str
    min_confidence: float | None
    status: str = Field(description="Running | Completed | Failed")
    objects: int = Field(description="Objects exported (so far, while Running)")
    error: str | None
    created_at: datetime
    ended_at: datetime | None
    download_url: str | None = Field(description="Set once Completed: the zip file")

    @classmethod
    def of(cls, run: runs.ExportRun) -> ExportOut:
        url = f"/api/v1/exports/{run.id}/download" if run.status == "Completed" else None
        return cls(
            id=run.id,
            job=run.job,
            format=run.format,
            min_confidence=run.min_confidence,
            status=run.status,
            objects=run.objects,
            error=run.error,
            created_at=run.created_at,
            ended_at=run.ended_at,
            download_url=url,
        )


class ResultOut(BaseModel):
    object_id: int
    state: str = Field(description="queued | open | answered | labeled | failed | ...")
    machine_labeled: bool
    answers: int
    line: dict[str, Any] = Field(description="The object's output manifest line")


class ResultsOut(BaseModel):
    results: list[ResultOut]
    next_after: int | None = Field(description="Pass as `after` for the next page; null at the end")


class FailureOut(BaseModel):
    object_id: int = Field(description="The data object's id (datasetObjectId)")
    source: str | None = Field(description="The manifest line's `source`, if it has one")
    source_ref: str | None = Field(description="The manifest line's `source-ref`, if it has one")
    reason: str
    step: str = Field(
        description="Where it failed: pre-annotation hook | post-annotation hook | media | "
        "output | intake (a refused queue message) | labeling (no answers)"
    )
    attempts: int = Field(description="How often the step was tried on the object")
    failed_at: datetime | None = Field(
        description="UTC; null for objects that failed before truthset recorded it"
    )

    @classmethod
    def of(cls, failed: failures.FailedObject) -> FailureOut:
        return cls(
            object_id=failed.object_id,
            source=failed.source,
            source_ref=failed.source_ref,
            reason=failed.reason,
            step=failed.step,
            attempts=failed.attempts,
            failed_at=failed.failed_at,
        )


class FailuresOut(BaseModel):
    failures: list[FailureOut]
    next_after: int | None = Field(description="Pass as `after` for the next page; null at the end")


@router.post("/jobs/{name}/exports", response_model=ExportOut, status_code=202)
def start_export(
    name: str, body: ExportIn, admin: AdminUser, dep: DeploymentDep, background: BackgroundTasks
) -> ExportOut:
    """Starts an export (400 for a format that does not apply to the job's task type); it is
    made in the background: poll `GET /exports/{id}` until Completed, then download it."""
    run = runs.start_export(dep, name, body.format, body.min_confidence, admin.id)
    background.add_task(runs.run_export, dep, run.id)
    return ExportOut.of(run)


@router.get("/jobs/{name}/exports", response_model=list[ExportOut])
def list_exports(name: str, _admin: AdminUser, dep: DeploymentDep) -> list[ExportOut]:
    """The job's latest 50 exports, newest first."""
    return [ExportOut.of(run) for run in runs.list_exports(dep, name)]


@router.get("/exports/{export_id}", response_model=ExportOut)
def get_export(export_id: RowId, _admin: AdminUser, dep: DeploymentDep) -> ExportOut:
    return ExportOut.of(runs.get_export(dep, export_id))


@router.get("/exports/{export_id}/download", response_class=Response)
def download_export(export_id: RowId, _admin: AdminUser, dep: DeploymentDep) -> Response:
    """The export's zip file (404 until it is Completed). A bearer token or the console's
    session cookie authenticates it."""
    run, opened = runs.open_download(dep, export_id)
    handle = opened.__enter__()

    def body() -> Any:
        try:
            yield from runs.chunks(handle)
        finally:
            opened.__exit__(None, None, None)

    headers = {"Content-Disposition": f'attachment; filename="{run.filename}"'}
    return StreamingResponse(body(), media_type="application/zip", headers=headers)


@router.get("/jobs/{name}/results", response_model=ResultsOut)
def results(
    name: str,
    _admin: AdminUser,
    dep: DeploymentDep,
    # Object ids are 32-bit integers in the database; a larger one is a bad request, not a 500.
    after: int = Query(-1, ge=-1, le=2**31 - 1, description="Objects after this object id"),
    limit: int = Query(1000, ge=1, le=10_000),
) -> ResultsOut:
    """Every object's output line with its state, page by page in object-id order."""
    job = jobs.describe_job(dep, name)
    page = output.results_page(dep, job.id, after, limit)
    items = [
        ResultOut(object_id=i, state=s, machine_labeled=m, answers=a, line=line)
        for i, s, m, a, line in page
    ]
    return ResultsOut(results=items, next_after=page[-1][0] if len(page) == limit else None)


@router.get("/jobs/{name}/failures", response_model=FailuresOut)
def failed_objects(
    name: str,
    _admin: AdminUser,
    dep: DeploymentDep,
    after: int = Query(-1, ge=-1, le=2**31 - 1, description="Objects after this object id"),
    limit: int = Query(1000, ge=1, le=10_000),
) -> FailuresOut:
    """The job's failed objects (counted in FailedNonRetryableError) in object-id order, page
    by page: what failed, where, how often it was tried and when; the same list as
    `manifests/output/failures.jsonl`."""
    job = jobs.describe_job(dep, name)
    page = failures.failed_objects(dep, job.id, after, limit)
    return FailuresOut(
        failures=[FailureOut.of(failed) for failed in page],
        next_after=page[-1].object_id if len(page) == limit else None,
    )
