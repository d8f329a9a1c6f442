"""The admin console: jobs and work teams."""

from __future__ import annotations

import itertools
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from truthset import audit, chaining, jobs, manifests, planning, progress, quality, workforce
from truthset.background import autolabeling
from truthset.errors import Invalid, NotFound, TruthsetError
from truthset.exports import FORMATS, runs
from truthset.failures import failed_objects
from truthset.intake import objects, publish
from truthset.intake.options import streaming_options
from truthset.labels import labels_from_list
from truthset.operations.activity import job_activity
from truthset.storage.base import read_chunks
from truthset.tasktypes.registry import TASK_TYPES
from truthset.web.pages import CsrfChecked, render
from truthset.web.security import AdminUser, DeploymentDep

router = APIRouter(prefix="/console", include_in_schema=False)

JOB_FIELDS = (
    "name",
    "manifest",
    "source",
    "column",
    "output",
    "task_type",
    "team",
    "labels",
    "label_config",
    "workers_per_object",
    "title",
    "description",
    "instructions",
    "label_attribute_name",
    "task_time_limit",
    "task_availability",
    "max_concurrent_tasks",
    "audit_label_attribute_name",
    "auto_label_target",
    "initial_model_job",
    "gold_ratio",
    "min_workers_per_object",
    "target_confidence",
    "ui_template",
)


@router.get("")
def job_list(request: Request, admin: AdminUser, dep: DeploymentDep) -> Response:
    return render(request, "console/jobs.html", {"jobs": jobs.list_jobs(dep)}, user=admin)


def _job_form(
    request: Request,
    admin: AdminUser,
    dep: DeploymentDep,
    values: dict[str, str],
    error: str = "",
    preview: manifests.ManifestPreview | None = None,
) -> Response:
    context = {
        "values": values,
        "error": error,
        "preview": preview,
        "teams": workforce.list_teams(dep),
        "task_types": sorted(TASK_TYPES),
        "data_dir": str(dep.settings.data_dir.resolve()),
    }
    return render(
        request, "console/job_new.html", context, status=400 if error else 200, user=admin
    )


@router.get("/jobs/new")
def new_job(request: Request, admin: AdminUser, dep: DeploymentDep) -> Response:
    defaults = {
        "task_type": "image-classification",
        "workers_per_object": "3",
        "task_time_limit": "300",
        "task_availability": "2592000",
        "max_concurrent_tasks": "1000",
    }
    return _job_form(request, admin, dep, defaults)


def _int_or_none(value: str) -> int | None:
    return int(value) if value.strip() else None


def _input_source(values: dict[str, str]) -> tuple[str, str | None]:
    """The folder, .txt/.csv file or S3 prefix to build the manifest from, and the CSV column."""
    if values["source"] and values["manifest"]:
        raise Invalid("give an input manifest or a folder to build one from, not both")
    if not values["source"]:
        raise Invalid("give an input manifest, or a folder or S3 prefix to build one from")
    return values["source"], values["column"] or None


@router.post("/jobs/preview", dependencies=[CsrfChecked])
async def preview_input(request: Request, admin: AdminUser, dep: DeploymentDep) -> Response:
    """The New job form again, with the first objects the job would get."""
    form = await request.form()
    values = {key: str(form.get(key, "")).strip() for key in JOB_FIELDS}
    try:
        if values["manifest"] and not values["source"]:
            preview = _manifest_preview(dep, values["manifest"])
        else:
            preview = manifests.preview_manifest(dep.storage, *_input_source(values))
    except TruthsetError as error:
        return _job_form(request, admin, dep, values, error.message)
    return _job_form(request, admin, dep, values, preview=preview)


def _manifest_preview(dep: DeploymentDep, uri: str, shown: int = 10) -> manifests.ManifestPreview:
    """The first lines of an existing manifest (the whole file is checked at creation)."""
    first: list[dict[str, object]] = []
    for _id, _text, parsed, problem in itertools.islice(
        manifests.iter_objects(dep.storage, uri), shown + 1
    ):
        if problem is not None:
            raise Invalid(f"{uri}: {problem}")
        if parsed is not None:
            first.append(parsed)
    return manifests.ManifestPreview(first[:shown], len(first[:shown]), len(first) > shown)


def _input_manifest(dep: DeploymentDep, values: dict[str, str]) -> str:
    """The job's input manifest: the one given, or one built from the folder given (Ground
    Truth's automated data setup), whose URI then shows in the form."""
    if values["manifest"] and not values["source"]:
        return values["manifest"]
    if not values["manifest"] and not values["source"] and values.get("streaming"):
        return ""  # a streaming job may start empty
    source, column = _input_source(values)
    target = manifests.dataset_manifest_uri(source, dep.clock.now())
    manifests.create_manifest(dep.storage, source, target, column)
    values.update(manifest=target, source="", column="")
    return target


@router.post("/jobs", dependencies=[CsrfChecked])
async def create_job(request: Request, admin: AdminUser, dep: DeploymentDep) -> Response:
    form = await request.form()
    values = {key: str(form.get(key, "")).strip() for key in JOB_FIELDS}
    values["streaming"] = "on" if form.get("streaming") == "on" else ""
    try:
        request_ = jobs.JobRequest(
            name=values["name"],
            manifest=_input_manifest(dep, values),
            output=values["output"],
            task_type=values["task_type"],
            team=values["team"],
            labels=labels_from_list(values["labels"]) or None,
            label_config=values["label_config"] or None,
            workers_per_object=_int_or_none(values["workers_per_object"]),
            title=values["title"] or None,
            description=values["description"] or None,
            instructions=values["instructions"],
            label_attribute_name=values["label_attribute_name"] or None,
            task_time_limit=_int_or_none(values["task_time_limit"]),
            task_availability=_int_or_none(values["task_availability"]) or 2_592_000,
            max_concurrent_tasks=_int_or_none(values["max_concurrent_tasks"]) or 1000,
            ui_template=values["ui_template"] or None,
            options=jobs.job_options(
                values["audit_label_attribute_name"] or None,
                form.get("auto_label") == "on",
                float(values["auto_label_target"] or 0.95),
                values["initial_model_job"] or None,
                float(values["gold_ratio"]) if values["gold_ratio"] else None,
            )
            | jobs.adaptive_options(
                _int_or_none(values["min_workers_per_object"]),
                float(values["target_confidence"]) if values["target_confidence"] else None,
            )
            | ({"streaming": True} if form.get("streaming") == "on" else {}),
        )
        job = jobs.create_job(dep, request_, import_now=False)
    except ValueError:
        return _job_form(request, admin, dep, values, "numbers must be whole numbers")
    except TruthsetError as error:
        return _job_form(request, admin, dep, values, error.message)
    return RedirectResponse(f"/console/jobs/{job.name}", status_code=303)


@router.get("/jobs/{name}")
def job_detail(name: str, request: Request, admin: AdminUser, dep: DeploymentDep) -> Response:
    # After the Add objects form: its counts, carried by the redirect (whole numbers only).
    counts = [request.query_params.get(key, "") for key in ("added", "duplicates")]
    if all(count.isdigit() for count in counts):
        added = objects.Stored(int(counts[0]), int(counts[1]))
        return _job_page(request, admin, dep, name, added=added)
    return _job_page(request, admin, dep, name)


def _job_page(
    request: Request,
    admin: AdminUser,
    dep: DeploymentDep,
    name: str,
    error: str = "",
    status: int = 200,
    **extra: object,
) -> Response:
    job = jobs.describe_job(dep, name)
    context = {
        "job": job,
        "iterations": autolabeling.iterations(dep, job.id),
        "progress": progress.job_progress(dep, job.id),
        "failures": failed_objects(dep, job.id) if job.counters.failed else [],
        "activity": job_activity(dep, name),
        "export_formats": [f for f in FORMATS.values() if job.task_type in f.task_types],
        "exports": runs.list_exports(dep, name),
        "estimate": planning.live_estimate(dep, name) if job.status == "InProgress" else None,
        "action_error": error,
        "streaming": streaming_options(job.options) is not None,
        "undelivered": publish.undelivered(dep, job.id),
        **extra,
    }
    return render(request, "console/job.html", context, status=status, user=admin)


@router.post("/jobs/{name}/stop", dependencies=[CsrfChecked])
def stop_job(name: str, admin: AdminUser, dep: DeploymentDep) -> Response:
    jobs.stop_job(dep, name)
    return RedirectResponse(f"/console/jobs/{name}", status_code=303)


@router.post("/jobs/{name}/objects", dependencies=[CsrfChecked])
async def add_objects(
    name: str, request: Request, admin: AdminUser, dep: DeploymentDep
) -> Response:
    """The Add objects form of a running streaming job: pasted JSON Lines or a manifest file,
    checked and stored as `POST /api/v1/jobs/{name}/objects` does (one bad line refuses all)."""
    form = await request.form()
    pasted = str(form.get("lines", ""))
    upload = form.get("manifest")
    try:
        data = await _objects_given(pasted, upload)
        stored = await run_in_threadpool(objects.add_lines, dep, name, data)
    except TruthsetError as error:
        problems = error.problems if isinstance(error, Invalid) else []
        return _job_page(
            request,
            admin,
            dep,
            name,
            status=400,
            add_error=error.message,
            add_problems=problems,
            add_lines=pasted,
        )
    finally:
        await form.close()
    query = f"added={stored.added}&duplicates={stored.duplicates}"
    return RedirectResponse(f"/console/jobs/{name}?{query}#add-objects", status_code=303)


async def _objects_given(pasted: str, upload: object) -> bytes:
    """The JSON Lines of the form: pasted, or the chosen file (an unchosen one has no name)."""
    if not (isinstance(upload, UploadFile) and upload.filename):
        return pasted.encode()
    if pasted.strip():
        raise Invalid("paste lines or choose a manifest file, not both")
    return await upload.read()


@router.post("/jobs/{name}/chain", dependencies=[CsrfChecked])
async def chain_job(name: str, request: Request, admin: AdminUser, dep: DeploymentDep) -> Response:
    """The Chain action: a new job over this one's output manifest (section 9.3)."""
    return await _job_from_job(name, "chain", request, admin, dep)


@router.post("/jobs/{name}/clone", dependencies=[CsrfChecked])
async def clone_job(name: str, request: Request, admin: AdminUser, dep: DeploymentDep) -> Response:
    """The Clone action: a new job with this one's configuration and input manifest."""
    return await _job_from_job(name, "clone", request, admin, dep)


async def _job_from_job(
    name: str, action: str, request: Request, admin: AdminUser, dep: DeploymentDep
) -> Response:
    make = chaining.chain_job if action == "chain" else chaining.clone_job
    form = await request.form()
    new_name = str(form.get("new_name", "")).strip()
    attribute = str(form.get("label_attribute_name", "")).strip() or None
    try:
        job = make(dep, name, new_name, chaining.Changes(label_attribute_name=attribute))
    except TruthsetError as error:
        return _job_page(request, admin, dep, name, f"{action}: {error.message}", 400)
    return RedirectResponse(f"/console/jobs/{job.name}", status_code=303)


@router.get("/jobs/{name}/output.manifest")
def download_output(name: str, admin: AdminUser, dep: DeploymentDep) -> Response:
    job = jobs.describe_job(dep, name)
    body = read_chunks(dep.storage, job.output_manifest)
    audit.record_now(dep, "export.output_manifest", job=job.name)
    headers = {"Content-Disposition": f'attachment; filename="{job.name}-output.manifest"'}
    return StreamingResponse(body, media_type="application/jsonl", headers=headers)


@router.get("/jobs/{name}/quality")
def job_quality(name: str, request: Request, admin: AdminUser, dep: DeploymentDep) -> Response:
    context = {"job": jobs.describe_job(dep, name), "quality": quality.job_quality(dep, name)}
    return render(request, "console/quality.html", context, user=admin)


@router.get("/jobs/{name}/quality.csv")
def job_quality_csv(name: str, admin: AdminUser, dep: DeploymentDep) -> Response:
    report = quality.job_quality(dep, name)
    audit.record_now(dep, "export.worker_quality", job=report.job)
    headers = {"Content-Disposition": f'attachment; filename="{report.job}-worker-quality.csv"'}
    return Response(quality.quality_csv(report), media_type="text/csv", headers=headers)


@router.get("/teams")
def team_list(request: Request, admin: AdminUser, dep: DeploymentDep) -> Response:
    return render(request, "console/teams.html", {"teams": workforce.list_teams(dep)}, user=admin)


@router.post("/teams", dependencies=[CsrfChecked])
def create_team(
    request: Request,
    admin: AdminUser,
    dep: DeploymentDep,
    name: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
) -> Response:
    try:
        workforce.create_team(dep, name.strip(), description.strip())
    except TruthsetError as error:
        context = {
            "teams": workforce.list_teams(dep),
            "error": error.message,
            "name": name,
            "description": description,
        }
        return render(request, "console/teams.html", context, status=400, user=admin)
    return RedirectResponse(f"/console/teams/{name.strip()}", status_code=303)


def _team_page(
    request: Request, admin: AdminUser, dep: DeploymentDep, name: str, **extra: object
) -> Response:
    team, members = workforce.get_team(dep, name)
    status = 400 if extra.get("error") else 200
    context = {"team": team, "members": members, "smtp": dep.mailer is not None, **extra}
    return render(request, "console/team.html", context, status=status, user=admin)


@router.get("/teams/{name}")
def team_detail(name: str, request: Request, admin: AdminUser, dep: DeploymentDep) -> Response:
    return _team_page(request, admin, dep, name)


@router.post("/teams/{name}/invite", dependencies=[CsrfChecked])
def invite(
    name: str,
    request: Request,
    admin: AdminUser,
    dep: DeploymentDep,
    emails: Annotated[str, Form()],
) -> Response:
    addresses = [part for part in emails.replace(",", " ").split() if part]
    try:
        results = workforce.invite(dep, name, addresses)
    except TruthsetError as error:
        return _team_page(request, admin, dep, name, error=error.message, emails=emails)
    return _team_page(request, admin, dep, name, invitations=results)


@router.post("/teams/{name}/members/{email}/{action}", dependencies=[CsrfChecked])
def member_action(
    name: str, email: str, action: str, admin: AdminUser, dep: DeploymentDep
) -> Response:
    if action in ("disable", "enable"):
        workforce.set_disabled(dep, email, action == "disable")
    elif action == "remove":
        workforce.remove_member(dep, name, email)
    else:
        raise NotFound(f"no action {action!r}")
    return RedirectResponse(f"/console/teams/{name}", status_code=303)
