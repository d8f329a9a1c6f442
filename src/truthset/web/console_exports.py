"""The console's Export button: starts an export of the job in the background (the job page
lists the exports, with their status and a download link)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form
from fastapi.responses import RedirectResponse, Response

from truthset.errors import Invalid
from truthset.exports import runs
from truthset.web.pages import CsrfChecked
from truthset.web.security import AdminUser, DeploymentDep

router = APIRouter(prefix="/console", include_in_schema=False)


@router.post("/jobs/{name}/exports", dependencies=[CsrfChecked])
def start_export(
    name: str,
    admin: AdminUser,
    dep: DeploymentDep,
    background: BackgroundTasks,
    format_name: Annotated[str, Form(alias="format")],
    min_confidence: Annotated[str, Form()] = "",
) -> Response:
    try:
        threshold = float(min_confidence) if min_confidence.strip() else None
    except ValueError:
        raise Invalid(
            f"the confidence must be a number from 0 to 1, got {min_confidence!r}"
        ) from None
    run = runs.start_export(dep, name, format_name, threshold, admin.id)
    background.add_task(runs.run_export, dep, run.id)
    return RedirectResponse(f"/console/jobs/{name}#exports", status_code=303)
