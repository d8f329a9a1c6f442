"""Signed, short-lived media URLs, and the route that serves them.

A URL names one storage URI and one task; it works only while that task is leased to the
worker it was made for, and never longer than the media URL lifetime. With
TRUTHSET_MEDIA_DELIVERY=presign, S3 objects are handed out as presigned S3 URLs instead, and
only while the task is leased (the URL then works for the media URL lifetime on its own).
"""

from __future__ import annotations

import mimetypes
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from sqlalchemy import select

from truthset import audit, unreadable
from truthset.db.tables import Job, Task, User
from truthset.deployment import Deployment
from truthset.dicom import is_dicom
from truthset.errors import NotFound, StorageError, TruthsetError
from truthset.storage.base import read_chunks
from truthset.storage.router import StorageRouter
from truthset.web.dicom_media import dicom_response
from truthset.web.security import DeploymentDep

router = APIRouter()
_SAFE_TYPES = ("image/", "video/", "audio/", "text/plain", "application/json")


def _signer(dep: Deployment) -> TimestampSigner:
    return TimestampSigner(dep.secret_key, salt="truthset-media")


def _leased_task(dep: Deployment, task_id: int) -> Any:
    """The task (its job's name, object and worker) while it is leased, else None."""
    with dep.db.read() as conn:
        return conn.execute(
            select(Task.object_id, Task.user_id, User.email, Job.name.label("job"))
            .join(User, User.id == Task.user_id)
            .join(Job, Job.id == Task.job_id)
            .where(Task.id == task_id, Task.status == "leased", Task.expires_at > dep.clock.now())
        ).first()


def media_signer(dep: Deployment, task_id: int) -> Callable[[str], str]:
    """A function turning a storage URI into a signed URL for this task's worker."""
    signer = _signer(dep)
    router = dep.storage if isinstance(dep.storage, StorageRouter) else None
    presigner = router if dep.settings.media_delivery == "presign" else None
    leased: list[Any] = []  # the leased task (or None), looked up once, on the first S3 URI

    def sign(uri: str) -> str:
        if uri.startswith(("/media/", "http://", "https://", "data:")):
            return uri  # already a URL the browser can load
        dicom = is_dicom(dep.storage, uri)
        # A DICOM file is never handed out (its tags name the patient): its renditions are.
        if presigner is not None and uri.startswith("s3://") and not dicom:
            if not leased:
                leased.append(_leased_task(dep, task_id))
            task = leased[0]
            url = presigner.presigned_url(uri, dep.settings.media_url_ttl) if task else None
            if url is not None:
                # S3 serves the fetch itself, unseen: the trail records the URL handed out.
                _record_access(dep, "media.presigned", task_id, task, uri)
                return url
        # Not checked against the data roots here: the media route checks on every read.
        payload = f"{task_id}.{urlsafe_b64encode(uri.encode()).decode().rstrip('=')}"
        url = f"/media/{signer.sign(payload).decode()}"
        # The marker tells the image tools to load the DICOM viewer's renditions.
        return f"{url}?dicom=1" if dicom else url

    return sign


def _record_access(dep: Deployment, action: str, task_id: int, task: Any, uri: str) -> None:
    """Who got which object of which job (and from where: the entry's origin): the worker the
    task is leased to."""
    audit.record_now(
        dep,
        action,
        actor=task.email,
        actor_id=task.user_id,
        job=task.job,
        object_id=task.object_id,
        detail={"task": task_id, "uri": uri},
    )


def _open(dep: Deployment, token: str) -> tuple[int, str]:
    try:
        payload = _signer(dep).unsign(token, max_age=dep.settings.media_url_ttl).decode()
        task_id, encoded = payload.split(".", 1)
        uri = urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except SignatureExpired:
        raise NotFound("this media link has expired") from None
    except (BadSignature, ValueError):
        raise NotFound("no such media") from None
    task = _leased_task(dep, int(task_id))
    if task is None:
        raise NotFound("this media link belongs to a task that is no longer yours")
    # Who fetched what from where: the worker the link was made for, the object, the address.
    _record_access(dep, "media.fetched", int(task_id), task, uri)
    return int(task_id), uri


def _unreadable(dep: Deployment, task_id: int, uri: str, error: TruthsetError) -> Response:
    """A missing object fails its data object (with the reason) instead of stalling the job;
    other errors (denied, unreachable, refused as outside the roots) may be passing, so they
    fail it only after a bounded number of reads (unreadable.count_unreadable)."""
    reason = f"media cannot be read: {error.message}"
    refused = not isinstance(error, StorageError)  # the URI itself is not allowed (now)
    try:
        missing = not refused and not dep.storage.exists(uri)
    except TruthsetError:
        missing = False
    if missing:
        unreadable.close_unreadable(dep, task_id, reason)
    else:
        unreadable.count_unreadable(dep, task_id, reason)
    status = 404 if missing or refused else 502
    return Response(error.message, status_code=status, media_type="text/plain")


@router.get("/media/{token}", include_in_schema=False)
def media(token: str, request: Request, dep: DeploymentDep) -> Response:
    task_id, uri = _open(dep, token)
    if is_dicom(dep.storage, uri):
        return dicom_response(
            dep, task_id, uri, request.query_params, lambda e: _unreadable(dep, task_id, uri, e)
        )
    content_type = mimetypes.guess_type(uri)[0] or "application/octet-stream"
    if not content_type.startswith(_SAFE_TYPES):
        content_type = "application/octet-stream"
    try:
        body = read_chunks(dep.storage, uri)
    except TruthsetError as error:
        return _unreadable(dep, task_id, uri, error)
    headers = {
        "Cache-Control": f"private, max-age={dep.settings.media_url_ttl}",
        # Templates run in sandboxed frames with an opaque origin; tools fetch masks with CORS.
        "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff",
        # Whatever a manifest points at, it can never run script on our origin.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    }
    return StreamingResponse(body, media_type=content_type, headers=headers)
