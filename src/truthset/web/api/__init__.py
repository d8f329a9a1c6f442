"""The REST API under /api/v1: handlers load, authorize, call the domain, return."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from truthset.web.api import admin, exports, review, session, streams, worker
from truthset.web.schemas import ErrorOut

# Every operation may answer these (web/errors.py maps domain errors to them); documented so
# that the OpenAPI document is true for generated clients and schemathesis.
_ERRORS = {
    400: "Bad input (also a body that is not valid JSON or misses a field)",
    401: "Not signed in, or the token is unknown or expired",
    403: "Signed in, but not allowed (an admin route for a worker, or outside the networks)",
    404: "No such team, job, worker or task (or not yours)",
    409: "Conflict with the current state (a name in use, a job not ready: Retry-After)",
    410: "The task's lease ended",
    413: "The request body is over its limit",
    429: "Too many failed sign-ins from here: Retry-After",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text} for status, text in _ERRORS.items()
}

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
# Routes are matched in order, each at a cost: the worker's next-task and answer, the hot path,
# come first (no other route's path starts with /api/v1/worker/).
router.include_router(worker.router)
router.include_router(session.router)
router.include_router(admin.router)
router.include_router(review.router)
router.include_router(streams.router)
router.include_router(exports.router)
