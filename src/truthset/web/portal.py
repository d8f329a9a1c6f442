"""The worker portal: my jobs, and the page where tasks are worked on."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from truthset import dispatch, taskui
from truthset.jobs import job_spec
from truthset.tasktypes.registry import task_type
from truthset.web.api.worker import TaskId
from truthset.web.dicom_media import dicom_preloads, noting_dicom
from truthset.web.media import media_signer
from truthset.web.pages import render
from truthset.web.security import CurrentUser, DeploymentDep
from truthset.web.task_assets import asset_url_maker

router = APIRouter(prefix="/portal", include_in_schema=False)


@router.get("")
def my_jobs(request: Request, user: CurrentUser, dep: DeploymentDep) -> Response:
    return render(request, "portal/jobs.html", {"jobs": dispatch.worker_jobs(dep, user)}, user=user)


@router.get("/jobs/{name}")
def work(name: str, request: Request, user: CurrentUser, dep: DeploymentDep) -> Response:
    job = next((j for j in dispatch.worker_jobs(dep, user) if j.name.lower() == name.lower()), None)
    return render(request, "portal/work.html", {"job": job, "job_name": name}, user=user)


@router.get("/tasks/{task_id}/frame")
def task_frame(task_id: TaskId, user: CurrentUser, dep: DeploymentDep) -> Response:
    """The rendered template of one of my tasks, loaded into the work page's sandboxed frame
    (its Content-Security-Policy: taskui.frame_policy)."""
    _task, job, line = dispatch.task_context(dep, user, task_id)
    kind = task_type(job.task_type)
    sign, dicom_urls = noting_dicom(media_signer(dep, task_id))
    options = json.loads(job.options)
    html = taskui.render(
        job.ui_template or kind.template(),
        kind.task_input(job_spec(job), line, sign),
        sign,
        asset_url=asset_url_maker(dep, job.id),
        assets=options.get("template_assets", []),
    )
    html = dicom_preloads(dicom_urls) + html
    origins = [*dep.settings.template_origins, *options.get("allowed_origins", [])]
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": taskui.frame_policy(dep.settings.media_origins(), origins),
            "Cache-Control": "no-store",
        },
    )
