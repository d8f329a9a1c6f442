"""Signed, short-lived media URLs, and the route that serves them.

A URL names one storage URI and one task; it works only while that task is leased to the
worker it was made for, and never longer than the media URL lifetime.
"""

from __future__ import annotations

import mimetypes
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Callable, Iterator

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from sqlalchemy import select

from truthset.db.tables import Task
from truthset.deployment import Deployment
from truthset.errors import NotFound, StorageError, TruthsetError
from truthset.web.security import DeploymentDep

router = APIRouter()
_SAFE_TYPES = ("image/", "video/", "audio/", "text/plain", "application/json")


def _signer(dep: Deployment) -> TimestampSigner:
    return TimestampSigner(dep.secret_key, salt="truthset-media")


def media_signer(dep: Deployment, task_id: int) -> Callable[[str], str]:
    """A function turning a storage URI into a signed URL for this task's worker."""
    signer = _signer(dep)

    def sign(uri: str) -> str:
        if uri.startswith(("/media/", "http://", "https://", "data:")):
            return uri  # already a URL the browser can load
        # Not checked against the data roots here: the media route checks on every read.
        payload = f"{task_id}.{urlsafe_b64encode(uri.encode()).decode().rstrip('=')}"
        return f"/media/{signer.sign(payload).decode()}"

    return sign


def _open(dep: Deployment, token: str) -> str:
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
            select(Task.status, Task.expires_at).where(Task.id == int(task_id))
        ).first()
    if task is None or task.status != "leased" or task.expires_at <= dep.clock.now():
        raise NotFound("this media link belongs to a task that is no longer yours")
    return uri


@router.get("/media/{token}", include_in_schema=False)
def media(token: str, request: Request, dep: DeploymentDep) -> Response:
    uri = _open(dep, token)
    content_type = mimetypes.guess_type(uri)[0] or "application/octet-stream"
    if not content_type.startswith(_SAFE_TYPES):
        content_type = "application/octet-stream"
    opened = dep.storage.open_read(uri)
    try:
        handle = opened.__enter__()
    except StorageError as error:
        return Response(error.message, status_code=502, media_type="text/plain")
    except TruthsetError as error:
        return Response(error.message, status_code=404, media_type="text/plain")

    def body() -> Iterator[bytes]:
        try:
            while chunk := handle.read(1 << 20):
                yield chunk
        finally:
            opened.__exit__(None, None, None)

    headers = {
        "Cache-Control": f"private, max-age={dep.settings.media_url_ttl}",
        # Templates run in sandboxed frames with an opaque origin; tools fetch masks with CORS.
        "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff",
        # Whatever a manifest points at, it can never run script on our origin.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    }
    return StreamingResponse(body(), media_type=content_type, headers=headers)
