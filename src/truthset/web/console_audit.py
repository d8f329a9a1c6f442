"""The console's audit page: entries newest first, filtered by actor, action, job and time,
with a JSON-lines download of the same selection. Read-only: no route changes an entry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from truthset import audit
from truthset.audit import chain, stream, trail
from truthset.errors import Invalid
from truthset.web.pages import render
from truthset.web.security import AdminUser, DeploymentDep

router = APIRouter(prefix="/console/audit", include_in_schema=False)
PAGE = 100


def _moment(value: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{field}: {value!r} is not a date and time") from None


def _filters(actor: str, action: str, job: str, since: str, until: str) -> trail.Filters:
    return trail.Filters(
        actor=actor or None,
        action=action or None,
        job=job or None,
        since=_moment(since, "from"),
        until=_moment(until, "until"),
    )


@router.get("")
def audit_page(
    request: Request,
    admin: AdminUser,
    dep: DeploymentDep,
    actor: str = "",
    action: str = "",
    job: str = "",
    since: str = "",
    until: str = "",
    before: int | None = None,
) -> Response:
    values = {"actor": actor, "action": action, "job": job, "since": since, "until": until}
    error = ""
    try:
        entries = trail.latest(dep, _filters(actor, action, job, since, until), PAGE, before)
    except Invalid as problem:
        entries, error = [], problem.message
    context = {
        "entries": entries,
        "values": values,
        "actions": trail.ACTIONS,
        "error": error,
        "older": entries[-1].id if len(entries) == PAGE else None,
        "query": str(request.url.query),
    }
    return render(request, "console/audit.html", context, status=400 if error else 200, user=admin)


@router.get("/export.jsonl")
def audit_download(
    admin: AdminUser,
    dep: DeploymentDep,
    actor: str = "",
    action: str = "",
    job: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    filters = _filters(actor, action, job, since, until)
    audit.record_now(
        dep, "export.audit", detail={"format": "jsonl", "since": since, "until": until}
    )
    chain.seal(dep)

    def body() -> Iterator[bytes]:
        for line in stream.jsonl(trail.iterate(dep, filters)):
            yield line.encode()

    headers = {"Content-Disposition": 'attachment; filename="truthset-audit.jsonl"'}
    return StreamingResponse(body(), media_type="application/jsonl", headers=headers)
