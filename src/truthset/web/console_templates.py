"""The console's worker template page: stored templates (human task UIs), and a preview that
renders a template against a manifest line as the worker would see it, with the template's
errors shown while it is edited (Ground Truth's users can only debug templates by creating jobs).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from markupsafe import escape
from pydantic import BaseModel

from truthset import task_uis, taskui
from truthset.errors import TruthsetError
from truthset.web.pages import CsrfChecked, render
from truthset.web.security import AdminUser, DeploymentDep

router = APIRouter(prefix="/console/templates", include_in_schema=False)
SAMPLE_INPUT = (
    '{"source": "The food was great and the staff friendly.", "labels": ["positive", "negative"]}'
)


def _page(
    request: Request, admin: AdminUser, dep: DeploymentDep, status: int = 200, **values: Any
) -> Response:
    context = {
        "templates": task_uis.list_task_uis(dep),
        "template": values.get("template", ""),
        "input": values.get("input") or SAMPLE_INPUT,
        "name": values.get("name", ""),
        "error": values.get("error", ""),
        "saved": values.get("saved", ""),
    }
    return render(request, "console/templates.html", context, status=status, user=admin)


@router.get("")
def templates_page(
    request: Request, admin: AdminUser, dep: DeploymentDep, name: str = "", saved: str = ""
) -> Response:
    template = task_uis.get_task_ui(dep, name).template if name else ""
    return _page(request, admin, dep, template=template, name=name, saved=saved)


@router.post("", dependencies=[CsrfChecked])
def save_template(
    request: Request,
    admin: AdminUser,
    dep: DeploymentDep,
    name: Annotated[str, Form()],
    template: Annotated[str, Form()],
    input: Annotated[str, Form()] = "",
) -> Response:
    template = template.replace("\r\n", "\n")  # browsers send a textarea's lines with CRLF
    try:
        task_uis.create_task_ui(dep, name.strip(), template)
    except TruthsetError as error:
        values = {"template": template, "input": input, "name": name, "error": error.message}
        return _page(request, admin, dep, status=400, **values)
    return RedirectResponse(f"/console/templates?name={name.strip()}&saved=1", status_code=303)


@router.get("/{name}/template.liquid")
def template_text(name: str, _admin: AdminUser, dep: DeploymentDep) -> Response:
    return PlainTextResponse(task_uis.get_task_ui(dep, name).template)


class PreviewIn(BaseModel):
    template: str
    input: str


@router.post("/check")
def check(body: PreviewIn, _admin: AdminUser) -> dict[str, list[str]]:
    """The problems of a template with an input (an empty list when it renders)."""
    return {"errors": task_uis.preview(body.template, body.input).errors}


@router.post("/render", dependencies=[CsrfChecked])
def render_preview(
    _admin: AdminUser,
    dep: DeploymentDep,
    template: Annotated[str, Form()],
    input: Annotated[str, Form()],
) -> Response:
    """The rendered template, for the page's sandboxed preview frame (the task frame's policy)."""
    result = task_uis.preview(template, input)
    html = result.html or "".join(
        f'<p style="color:#991b1b;font:14px sans-serif">{escape(e)}</p>' for e in result.errors
    )
    policy = taskui.frame_policy(dep.settings.media_origins(), dep.settings.template_origins)
    return HTMLResponse(
        html, headers={"Content-Security-Policy": policy, "Cache-Control": "no-store"}
    )
