"""SageMaker errors as botocore parses them: `__type` and `message` in a JSON body.

Domain errors get their SageMaker type here, in one place. The HTTP statuses are those AWS's
JSON-protocol services use: 400 for every client error (authentication included), 500 for ours.
"""

from __future__ import annotations

import json

from fastapi import Response

from truthset.errors import (
    Conflict,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    StorageError,
    TooManyRequests,
    TruthsetError,
    Unauthenticated,
)

CONTENT_TYPE = "application/x-amz-json-1.1"

_DOMAIN: dict[type[TruthsetError], str] = {
    Invalid: "ValidationException",
    StorageError: "ValidationException",
    NotFound: "ResourceNotFound",
    Conflict: "ResourceInUse",
    Gone: "ResourceInUse",
    Forbidden: "AccessDeniedException",
    Unauthenticated: "UnrecognizedClientException",
    TooManyRequests: "ThrottlingException",
}


class ApiError(Exception):
    """An error response: `kind` becomes `__type` (botocore's error code)."""

    def __init__(self, kind: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status


def invalid(message: str) -> ApiError:
    return ApiError("ValidationException", message)


def from_domain(error: TruthsetError) -> ApiError:
    for kind in type(error).__mro__:
        if kind in _DOMAIN:
            return ApiError(_DOMAIN[kind], error.message)
    return ApiError("InternalFailure", error.message, 500)


def error_response(error: ApiError, request_id: str) -> Response:
    body = json.dumps({"__type": error.kind, "message": error.message})
    return Response(
        body,
        status_code=error.status,
        media_type=CONTENT_TYPE,
        headers={"x-amzn-RequestId": request_id},
    )
