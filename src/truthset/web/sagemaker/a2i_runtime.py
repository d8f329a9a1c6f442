"""The sagemaker-a2i-runtime service (Amazon Augmented AI Runtime), as boto3's client speaks it
with `endpoint_url` pointed at truthset: REST-JSON under /human-loops, SigV4 signed for the
service name `sagemaker` like the SageMaker API, admins only.

Errors are A2I's: ValidationException (400), ResourceNotFoundException (404),
ConflictException (409); authentication errors are 403 as REST services send them.
https://docs.aws.amazon.com/augmented-ai/2019-11-07/APIReference/Welcome.html
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from truthset.deployment import Deployment
from truthset.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    StorageError,
    TooManyRequests,
    TruthsetError,
    Unauthenticated,
)
from truthset.review import loops
from truthset.review.flows import flow_arn, loop_arn
from truthset.web.sagemaker import arns, shapes, sigv4
from truthset.web.sagemaker.errors import ApiError, invalid
from truthset.web.sagemaker.pagination import DEFAULT_PAGE, keyset_cursor, keyset_token

log = logging.getLogger(__name__)
SERVICE = "sagemaker-a2i-runtime"
# InputContent may hold 3,145,728 characters; JSON escaping can make the body larger.
MAX_BODY = 16 * 1024 * 1024
_STATUS = {
    "ValidationException": 400,
    "SerializationException": 400,
    "ResourceNotFoundException": 404,
    "ConflictException": 409,
    "ServiceQuotaExceededException": 402,
    "ThrottlingException": 429,
    "InternalServerException": 500,
}
_DOMAIN: dict[type[TruthsetError], str] = {
    Invalid: "ValidationException",
    StorageError: "ValidationException",
    NotFound: "ResourceNotFoundException",
    Conflict: "ConflictException",
    Forbidden: "AccessDeniedException",
    Unauthenticated: "UnrecognizedClientException",
    TooManyRequests: "ThrottlingException",
}


def _iso(moment: datetime) -> str:
    # Microseconds, as stored: a CreationTime read back is an exact CreationTimeAfter/Before.
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def start_human_loop(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    flow = arns.flow_name(params["FlowDefinitionArn"], "FlowDefinitionArn")
    try:
        loop = loops.start_loop(
            dep, flow, params["HumanLoopName"], params["HumanLoopInput"]["InputContent"]
        )
    except NotFound as error:
        # StartHumanLoop has no ResourceNotFoundException: an unknown flow is a bad field.
        raise invalid(f"FlowDefinitionArn: {error.message}") from None
    return {"HumanLoopArn": loop_arn(dep.settings, loop.name)}


def describe_human_loop(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    loop = loops.describe_loop(dep, params["HumanLoopName"])
    described: dict[str, Any] = {
        "CreationTime": _iso(loop.created_at),
        "HumanLoopStatus": loop.status,
        "HumanLoopName": loop.name,
        "HumanLoopArn": loop_arn(dep.settings, loop.name),
        "FlowDefinitionArn": flow_arn(dep.settings, loop.flow),
    }
    if loop.failure_reason and loop.status == "Failed":
        described["FailureReason"] = loop.failure_reason
    if loop.status == "Completed" and loop.output_uri:
        described["HumanLoopOutput"] = {"OutputS3Uri": loop.output_uri}
    return described


def list_human_loops(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    flow = arns.flow_name(params["FlowDefinitionArn"], "FlowDefinitionArn")
    cursor = keyset_cursor(params, dep.secret_key, "ListHumanLoops")
    found = loops.list_loops(
        dep,
        flow,
        after=params.get("CreationTimeAfter"),
        before=params.get("CreationTimeBefore"),
        ascending=params.get("SortOrder") == "Ascending",
        limit=int(params.get("MaxResults") or DEFAULT_PAGE),
        cursor=(str(cursor[0]), int(cursor[1])) if cursor else None,
    )
    summaries = []
    for loop in found.loops:
        summary = {
            "HumanLoopName": loop.name,
            "HumanLoopStatus": loop.status,
            "CreationTime": _iso(loop.created_at),
            "FlowDefinitionArn": flow_arn(dep.settings, loop.flow),
        }
        if loop.failure_reason and loop.status == "Failed":
            summary["FailureReason"] = loop.failure_reason
        summaries.append(summary)
    result: dict[str, Any] = {"HumanLoopSummaries": summaries}
    if found.cursor is not None:
        result["NextToken"] = keyset_token(
            list(found.cursor), params, dep.secret_key, "ListHumanLoops"
        )
    return result


def stop_human_loop(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    loops.stop_loop(dep, params["HumanLoopName"])
    return {}


def delete_human_loop(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    loops.delete_loop(dep, params["HumanLoopName"])
    return {}


Operation = Callable[[Deployment, dict[str, Any]], dict[str, Any]]


def _params(name: str, body: bytes, path: dict[str, str], query: dict[str, str]) -> Any:
    """The request's members from the body, the path and the query string, as the service
    model places them; query integers arrive as text."""
    input_shape = shapes.operation_model(name, SERVICE).input_shape
    members = input_shape.members if input_shape is not None else {}
    params: dict[str, Any] = {}
    if body.strip():
        try:
            params = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ApiError(
                "SerializationException", f"the body is not valid JSON: {error}"
            ) from None
        if not isinstance(params, dict):
            raise ApiError("SerializationException", "the body must be a JSON object")
    for member, shape in members.items():
        where = shape.serialization.get("location")
        wire = shape.serialization.get("name", member)
        source = path if where == "uri" else query if where == "querystring" else None
        if source is None or wire not in source:
            continue
        value: Any = source[wire]
        if shape.type_name == "integer":
            try:
                value = int(value)
            except ValueError:
                raise invalid(f"{member} must be an integer") from None
        params[member] = value
    return params


def _call(
    dep: Deployment,
    signed: sigv4.SignedRequest,
    name: str,
    operation: Operation,
    path: dict[str, str],
    query: dict[str, str],
) -> dict[str, Any]:
    user = sigv4.authenticate(dep, signed)
    if not user.is_admin:
        raise ApiError(
            "AccessDeniedException",
            f"User: {user.email} is not authorized to perform: sagemaker:{name} "
            "(only admins may use the A2I runtime API)",
        )
    params = shapes.validate(name, _params(name, signed.body, path, query), SERVICE)
    return operation(dep, params)


def _error(kind: str, message: str, request_id: str, status: int | None = None) -> Response:
    code = status or _STATUS.get(kind, 403)
    return Response(
        json.dumps({"message": message, "Message": message}),
        status_code=code,
        media_type="application/json",
        headers={"x-amzn-RequestId": request_id, "x-amzn-ErrorType": kind},
    )


def _from_domain(error: TruthsetError) -> tuple[str, str]:
    for kind in type(error).__mro__:
        if kind in _DOMAIN:
            return _DOMAIN[kind], error.message
    return "InternalServerException", error.message


def _endpoint(name: str, operation: Operation) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        dep: Deployment = request.app.state.deployment
        try:
            body = await sigv4.read_body(request, MAX_BODY)
            signed = sigv4.signed_request(request, body)
            path = dict(request.path_params)
            query = dict(request.query_params)
            result = await run_in_threadpool(_call, dep, signed, name, operation, path, query)
        except ApiError as error:
            status = error.status if error.status >= 500 or error.status == 413 else None
            return _error(error.kind, error.message, request_id, status)
        except TruthsetError as error:
            return _error(*_from_domain(error), request_id)
        except Exception:
            log.exception("A2I runtime request %s failed", request_id)
            return _error(
                "InternalServerException", f"internal error; request id {request_id}", request_id
            )
        return Response(
            json.dumps(result),
            media_type="application/json",
            headers={"x-amzn-RequestId": request_id},
        )

    handle.__name__ = name
    return handle


ROUTES: list[tuple[str, str, str, Operation]] = [
    ("POST", "/human-loops", "StartHumanLoop", start_human_loop),
    ("GET", "/human-loops", "ListHumanLoops", list_human_loops),
    ("POST", "/human-loops/stop", "StopHumanLoop", stop_human_loop),
    ("GET", "/human-loops/{HumanLoopName}", "DescribeHumanLoop", describe_human_loop),
    ("DELETE", "/human-loops/{HumanLoopName}", "DeleteHumanLoop", delete_human_loop),
]

router = APIRouter(include_in_schema=False)
for _prefix in ("", "/sagemaker"):
    for _method, _path, _name, _operation in ROUTES:
        router.add_api_route(_prefix + _path, _endpoint(_name, _operation), methods=[_method])
