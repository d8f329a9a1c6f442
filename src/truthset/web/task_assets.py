"""A custom template's own files (scripts, styles, images stored beside it at job creation in
annotation-tool/assets/), served from this deployment so templates work offline.

The task frame is sandboxed (an opaque origin, no cookies), so its requests carry a signed,
short-lived token for the job instead of a session; only files the job stored are served.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable

from fastapi import APIRouter, Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from truthset import output
from truthset.db.tables import Job
from truthset.deployment import Deployment
from truthset.errors import NotFound, StorageError
from truthset.storage.base import join
from truthset.web.security import DeploymentDep

router = APIRouter(include_in_schema=False)
PREFIX = "/template-assets"
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css"}


def _serializer(dep: Deployment) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(dep.secret_key, salt="truthset-template-assets")


def asset_url_maker(dep: Deployment, job_id: int) -> Callable[[str], str]:
    token = _serializer(dep).dumps(job_id)
    return lambda name: f"{PREFIX}/{token}/{name}"


@router.get(PREFIX + "/{token}/{name:path}")
def template_asset(token: str, name: str, dep: DeploymentDep) -> Response:
    try:
        job_id = int(_serializer(dep).loads(token, max_age=dep.settings.media_url_ttl))
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        raise NotFound("no such template file") from None
    with dep.db.read() as conn:
        job = conn.execute(select(Job.__table__).where(Job.id == job_id)).first()
    # Only names the job stored: nothing a request names can reach another file.
    if job is None or name not in json.loads(job.options).get("template_assets", []):
        raise NotFound("no such template file")
    try:
        data = dep.storage.read_bytes(join(output.job_folder(job), "annotation-tool/assets", name))
    except StorageError as error:
        raise NotFound(error.message) from None
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind.startswith("text/html"):
        kind = "text/plain"
    headers = {
        "Cache-Control": f"private, max-age={dep.settings.media_url_ttl}",
        # Module scripts and fonts of an opaque-origin frame are fetched with CORS.
        "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff",
        # Opened on its own, a file can never run script on this origin.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    }
    return Response(data, media_type=kind, headers=headers)
