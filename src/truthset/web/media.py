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

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from sqlalchemy import select

from truthset import audit, unreadable
from truthset.db.tables import Task, User
from truthset.deployment import Deployment
from truthset.dicom import is_dicom
from truthset.errors import NotFound, StorageError, TruthsetError
from truthset.jobs import job_record
from truthset.storage.base import read_chunks
from truthset.storage.router import StorageRouter
from truthset.web.dicom_media import dicom_response
from truthset.web.security import DeploymentDep

router = APIRouter()
_SAFE_TYPES = ("image/", "video/", "audio/", "text/plain", "application/json")


def _signer(dep: Deployment) -> TimestampSigner:
    return TimestampSigner(dep.secret_key, salt="truthset-media")


def _is_leased(dep: Deployment, task_id: int) -> bool:
    with dep.db.read() as conn:
        task = conn.execute(select(Task.status, Task.expires_at).where(Task.id == task_id)).first()
    return task is not None and task.status == "leased" and task.expires_at > dep.clock.now()


def media_signer(dep: Deployment, task_id: int) -> Callable[[str], str]:
    """A function turning a storage URI into a signed URL for this task's worker."""
    signer = _signer(dep)
    router = dep.storage if isinstance(dep.storage, StorageRouter) else None
    presigner = router if dep.settings.media_delivery == "presign" else None
    leased: list[bool] = []  # looked up once, on the first S3 URI

    def sign(uri: str) -> str:
        if uri.startswith(("/media/", "http://", "https://", "data:")):
            return uri  # already a URL the browser can load
        dicom = is_dicom(dep.storage, uri)
        # A DICOM file is never handed out (its tags name the patient): its renditions are.
        if presigner is not None and uri.startswith("s3://") and not dicom:
            if not leased:
                leased.append(_is_leased(dep, task_id))
            url = presigner.presigned_url(uri, dep.settings.media_url_ttl) if leased[0] else None
            if url is not None:
                return url
        # Not checked against the data roots here: the media route checks on every read.
        payload = f"{task_id}.{urlsafe_b64encode(uri.encode()).decode().rstrip('=')}"
        url = f"/media/{signer.sign(payload).decode()}"
        # The marker tells the image tools to load the DICOM viewer's renditions.
        return f"{url}?dicom=1" if dicom else url

    return sign


def _open(dep: Deployment, token: str) -> tuple[int, str]:
    try:
        payload = _signer(dep).unsign(token, max_age=dep.settings.media_url_ttl).decode()
        task_id, encoded = payload.split(".", 1)
        uri = urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except SignatureExpired:
        raise NotFound("this media link has expired") from None
    except (BadSignature, ValueError):
        raise NotFound("no such media") from None
    with dep.db.read() as conn:
        task = conn.execute(
            select(
                Task.status, Task.expires_at, Task.job_id, Task.object_id, Task.user_id, User.email
            )
            .join(User, User.id == Task.user_id)
            .where(Task.id == int(task_id))
        ).first()
        if task is None or task.status != "leased" or task.expires_at <= dep.clock.now():
            raise NotFound("this media link belongs to a task that is no longer yours")
        job = job_record(dep, conn, job_id=task.job_id)
    # Who fetched what from where: the worker the link was made for, the object, the address.
    audit.record_now(
        dep,
        "media.fetched",
        actor=task.email,
        actor_id=task.user_id,
        job=job.name if job else None,
        object_id=task.object_id,
        detail={"task": int(task_id), "uri": uri},
    )
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
