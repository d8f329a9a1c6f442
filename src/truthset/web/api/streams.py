"""Objects for running streaming jobs, and jobs chained or cloned from earlier ones."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from truthset import chaining
from truthset.errors import Invalid
from truthset.intake import objects
from truthset.web.schemas import JobFromJobIn, JobOut, ObjectsAddedOut
from truthset.web.security import AdminUser, DeploymentDep

router = APIRouter(tags=["admin"])
MAX_BODY_BYTES = 64 * 1024 * 1024


@router.post("/jobs/{name}/objects", response_model=ObjectsAddedOut)
async def add_objects(
    name: str, request: Request, _admin: AdminUser, dep: DeploymentDep
) -> ObjectsAddedOut:
    """Adds objects to a running streaming job. The body is JSON Lines, one manifest line per
    object, each checked as job creation checks a manifest line: one bad line refuses the
    whole request (400 listing the bad lines) and stores nothing. 200 only after the objects
    are committed. A line may carry its own de-duplication id (see docs/streaming.md); lines
    whose id the job has seen are counted in `duplicates` and not stored. 409
    when the job is not a streaming job or has ended; 409 not_ready while it is Initializing."""
    data = await request.body()
    if len(data) > MAX_BODY_BYTES:
        raise Invalid(f"at most {MAX_BODY_BYTES} bytes per request; send the rest in another")
    stored = await run_in_threadpool(objects.add_lines, dep, name, data)
    return ObjectsAddedOut(added=stored.added, duplicates=stored.duplicates)


def _changes(body: JobFromJobIn) -> chaining.Changes:
    return chaining.Changes(
        body.label_attribute_name,
        body.team,
        body.title,
        body.description,
        body.workers_per_object,
        body.max_concurrent_tasks,
    )


@router.post("/jobs/{name}/chain", response_model=JobOut, status_code=201)
def chain_job(name: str, body: JobFromJobIn, _admin: AdminUser, dep: DeploymentDep) -> JobOut:
    """A new job over this (ended) job's output manifest, with its configuration. Keeping the
    label attribute name sends only the objects without that label (and warm-starts automated
    labeling); a new one sends every object. 409 while this job is still running."""
    return JobOut.of(chaining.chain_job(dep, name, body.name, _changes(body)))


@router.post("/jobs/{name}/clone", response_model=JobOut, status_code=201)
def clone_job(name: str, body: JobFromJobIn, _admin: AdminUser, dep: DeploymentDep) -> JobOut:
    """A new job with this job's configuration and input manifest."""
    return JobOut.of(chaining.clone_job(dep, name, body.name, _changes(body)))
