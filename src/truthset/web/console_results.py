"""The console's results explorer and pictures: a job's objects as a filtered grid, one object
with every worker's answer, an admin's override, and the charts as SVG."""

from __future__ import annotations

import mimetypes
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from truthset import charts, results, send_back
from truthset.dicom import is_dicom
from truthset.dicom.ahead import renditions
from truthset.errors import Conflict, Invalid, NotFound, TruthsetError
from truthset.storage.base import read_chunks
from truthset.web.pages import CsrfChecked, render
from truthset.web.schemas import RowId
from truthset.web.security import AdminUser, DeploymentDep

router = APIRouter(prefix="/console/jobs/{name}", include_in_schema=False)

_SAFE_TYPES = ("image/", "video/", "audio/", "text/plain")
_SVG_HEADERS = {
    "Cache-Control": "private, no-cache",
    "X-Content-Type-Options": "nosniff",
    # Opened on its own, a picture must not run anything on our origin.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def _flag(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _number(value: str | None, what: str) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise Invalid(f"{what} must be a number") from None


def _query(request: Request) -> results.ObjectQuery:
    args = request.query_params
    sort = args.get("sort") or "object"
    if sort not in ("object", "confidence", "-confidence"):
        raise Invalid("sort must be object, confidence or -confidence")
    page = args.get("page") or "1"
    if not page.isdigit() or int(page) < 1:
        raise Invalid("page must be a whole number from 1")
    return results.ObjectQuery(
        label=args.get("label") or None,
        min_confidence=_number(args.get("min"), "the lowest confidence"),
        max_confidence=_number(args.get("max"), "the highest confidence"),
        disagreement=args.get("disagreement") == "yes",
        worker=args.get("worker") or None,
        gold=_flag(args.get("gold")),
        state=args.get("state") or None,
        machine=_flag(args.get("machine")),
        sort=sort,  # type: ignore[arg-type]
        page=int(page),
    )


@router.get("/results")
def explorer(name: str, request: Request, admin: AdminUser, dep: DeploymentDep) -> Response:
    try:
        page = results.browse(dep, name, _query(request))
        error = None
    except Invalid as problem:
        page, error = results.browse(dep, name, results.ObjectQuery()), problem.message
    workers = [w.email for w in results.job_workers(dep, name)]
    args = {k: v for k, v in request.query_params.items() if k != "page"}
    return render(
        request,
        "console/results.html",
        {"page": page, "workers": workers, "error": error, "args": args},
        user=admin,
        status=400 if error else 200,
    )


@router.get("/objects/{object_id}")
def object_page(
    name: str, object_id: RowId, request: Request, admin: AdminUser, dep: DeploymentDep
) -> Response:
    detail = results.object_detail(dep, name, object_id)
    answers = [
        {"worker": a.email, "worker_id": a.worker_id, "content": a.content} for a in detail.answers
    ]
    return render(
        request,
        "console/object.html",
        {
            "d": detail,
            "answers_json": answers,
            "error": request.query_params.get("error"),
            "sent": request.query_params.get("sent") == "1",
            "send_back_room": send_back.room(dep, name, object_id),
        },
        user=admin,
    )


@router.post("/objects/{object_id}/override", dependencies=[CsrfChecked])
def override(
    name: str,
    object_id: RowId,
    admin: AdminUser,
    dep: DeploymentDep,
    label: Annotated[str, Form()],
) -> Response:
    target = f"/console/jobs/{name}/objects/{object_id}"
    try:
        results.override_label(dep, name, object_id, label, admin.email)
    except Invalid as problem:
        return RedirectResponse(f"{target}?error={quote(problem.message)}", status_code=303)
    return RedirectResponse(target, status_code=303)


@router.post("/objects/{object_id}/send-back", dependencies=[CsrfChecked])
def send_object_back(
    name: str,
    object_id: RowId,
    _admin: AdminUser,
    dep: DeploymentDep,
    answers: Annotated[str, Form()] = "1",
) -> Response:
    target = f"/console/jobs/{name}/objects/{object_id}"
    try:
        if not answers.strip().isdigit():
            raise Invalid("answers must be a whole number from 1")
        send_back.send_back(dep, name, object_id, int(answers))
    except (Invalid, Conflict) as problem:
        return RedirectResponse(f"{target}?error={quote(problem.message)}", status_code=303)
    return RedirectResponse(f"{target}?sent=1", status_code=303)


@router.get("/objects/{object_id}/media")
def object_media(name: str, object_id: RowId, _admin: AdminUser, dep: DeploymentDep) -> Response:
    """The object's media for an admin: read through storage, so the data roots confine it
    as for workers; never rendered as a page of our origin."""
    detail = results.object_detail(dep, name, object_id)
    uri = detail.line.get("source-ref")
    if not isinstance(uri, str):
        raise NotFound("this data object has no media")
    headers = {
        "Cache-Control": "private, max-age=300",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    }
    try:
        if is_dicom(dep.storage, uri):
            # Frame 0 under the file's own window, as the worker first sees it: a browser
            # cannot show the file, and its tags name the patient.
            png = renditions(dep).png(uri, 0, lambda: dep.storage.read_bytes(uri))
            return Response(png, media_type="image/png", headers=headers)
        body = read_chunks(dep.storage, uri)
    except TruthsetError as error:
        return Response(error.message, status_code=404, media_type="text/plain")
    content_type = mimetypes.guess_type(uri)[0] or "application/octet-stream"
    if not content_type.startswith(_SAFE_TYPES):
        content_type = "application/octet-stream"
    return StreamingResponse(body, media_type=content_type, headers=headers)


@router.get("/charts")
def charts_page(name: str, request: Request, admin: AdminUser, dep: DeploymentDep) -> Response:
    workers = results.job_workers(dep, name)
    context: dict[str, Any] = {
        "job": name,
        "charts": [(key, title) for key, (title, _) in charts.JOB_CHARTS.items()],
        "workers": workers,
        "single": results.is_single_label(dep, name),
    }
    return render(request, "console/charts.html", context, user=admin)


def _svg(data: bytes, filename: str, download: bool) -> Response:
    headers = dict(_SVG_HEADERS)
    if download:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(data, media_type="image/svg+xml", headers=headers)


@router.get("/charts/{chart}.svg")
def chart(
    name: str, chart: str, _admin: AdminUser, dep: DeploymentDep, download: bool = False
) -> Response:
    return _svg(charts.job_chart(dep, name, chart), f"{name}-{chart}.svg", download)


@router.get("/workers/{worker_id}/confusion.svg")
def worker_confusion(
    name: str, worker_id: str, _admin: AdminUser, dep: DeploymentDep, download: bool = False
) -> Response:
    return _svg(
        charts.confusion(dep, name, worker_id), f"{name}-{worker_id}-confusion.svg", download
    )
