"""The worker portal: my jobs, and the page where tasks are worked on."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from truthset import dispatch, taskui
from truthset.jobs import job_spec
from truthset.tasktypes.registry import task_type
from truthset.web.media import media_signer
from truthset.web.pages import render
from truthset.web.security import CurrentUser, DeploymentDep

router = APIRouter(prefix="/portal", include_in_schema=False)

# The task frame runs the job's template. Its sandbox (an opaque origin, no cookies of ours)
# is what protects the portal; the policy below only keeps the frame's traffic local. The image
# tools decode photos in a Worker started from a blob: URL (docs/crowd-elements-image-tools.md).
FRAME_POLICY = (
    "sandbox allow-scripts allow-forms allow-modals; default-src 'self' data: blob:; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: {media}; media-src 'self' data: blob: {media}; "
    "connect-src 'self' {media}; frame-ancestors 'self'"
)


@router.get("")
def my_jobs(request: Request, user: CurrentUser, dep: DeploymentDep) -> Response:
    return render(request, "portal/jobs.html", {"jobs": dispatch.worker_jobs(dep, user)}, user=user)


@router.get("/jobs/{name}")
def work(name: str, request: Request, user: CurrentUser, dep: DeploymentDep) -> Response:
    job = next((j for j in dispatch.worker_jobs(dep, user) if j.name.lower() == name.lower()), None)
    return render(request, "portal/work.html", {"job": job, "job_name": name}, user=user)


@router.get("/tasks/{task_id}/frame")
def task_frame(task_id: int, user: CurrentUser, dep: DeploymentDep) -> Response:
    """The rendered template of one of my tasks, loaded into the work page's sandboxed frame."""
    _task, job, line = dispatch.task_context(dep, user, task_id)
    kind = task_type(job.task_type)
    sign = media_signer(dep, task_id)
    html = taskui.render(
        job.ui_template or kind.template(), kind.task_input(job_spec(job), line, sign), sign
    )
    media = dep.settings.media_origins()
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": FRAME_POLICY.format(media=media),
            "Cache-Control": "no-store",
        },
    )
