"""The SageMaker-compatible API: `POST /` with `X-Amz-Target: SageMaker.<Operation>`, as boto3's
`sagemaker` client sends it (JSON 1.1 protocol, SigV4). Point `endpoint_url` at truthset and
Ground Truth scripts run unchanged; see docs/migrating-from-ground-truth.md.

Order of checks, as AWS does them: signature, operation, permission, body, fields.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from truthset.audit import set_actor
from truthset.deployment import Deployment
from truthset.errors import TruthsetError
from truthset.web.sagemaker import (
    flow_definitions,
    human_task_uis,
    labeling_jobs,
    preview,
    shapes,
    sigv4,
    workforces,
    workteams,
)
from truthset.web.sagemaker.errors import CONTENT_TYPE, ApiError, error_response, from_domain
from truthset.workforce import UserInfo

log = logging.getLogger(__name__)
TARGET_PREFIX = "SageMaker."
MAX_BODY = 1024 * 1024  # the largest request, RenderUiTemplate, is about 256,000 characters
PATHS = ("/", "/sagemaker", "/sagemaker/")

Operation = Callable[[Deployment, dict[str, Any]], dict[str, Any]]
OPERATIONS: dict[str, Operation] = {
    "CreateLabelingJob": labeling_jobs.create_labeling_job,
    "DescribeLabelingJob": labeling_jobs.describe_labeling_job,
    "ListLabelingJobs": labeling_jobs.list_labeling_jobs,
    "StopLabelingJob": labeling_jobs.stop_labeling_job,
    "ListLabelingJobsForWorkteam": labeling_jobs.list_labeling_jobs_for_workteam,
    "CreateWorkteam": workteams.create_workteam,
    "DescribeWorkteam": workteams.describe_workteam,
    "ListWorkteams": workteams.list_workteams,
    "UpdateWorkteam": workteams.update_workteam,
    "DeleteWorkteam": workteams.delete_workteam,
    "CreateWorkforce": workforces.create_workforce,
    "DescribeWorkforce": workforces.describe_workforce,
    "ListWorkforces": workforces.list_workforces,
    "UpdateWorkforce": workforces.update_workforce,
    "DeleteWorkforce": workforces.delete_workforce,
    "RenderUiTemplate": preview.render_ui_template,
    "CreateHumanTaskUi": human_task_uis.create_human_task_ui,
    "DescribeHumanTaskUi": human_task_uis.describe_human_task_ui,
    "ListHumanTaskUis": human_task_uis.list_human_task_uis,
    "DeleteHumanTaskUi": human_task_uis.delete_human_task_ui,
    "CreateFlowDefinition": flow_definitions.create_flow_definition,
    "DescribeFlowDefinition": flow_definitions.describe_flow_definition,
    "ListFlowDefinitions": flow_definitions.list_flow_definitions,
    "DeleteFlowDefinition": flow_definitions.delete_flow_definition,
}


def _operation(target: str | None) -> tuple[str, Operation]:
    name = (target or "").removeprefix(TARGET_PREFIX)
    if not target or not target.startswith(TARGET_PREFIX) or name not in OPERATIONS:
        supported = ", ".join(OPERATIONS)
        raise ApiError(
            "UnknownOperationException",
            f"truthset does not support the operation {target or '(no X-Amz-Target header)'}; "
            f"supported: {supported}",
        )
    return name, OPERATIONS[name]


def _authorize(user: UserInfo, operation: str) -> None:
    if not user.is_admin:
        raise ApiError(
            "AccessDeniedException",
            f"User: {user.email} is not authorized to perform: sagemaker:{operation} "
            "(only admins may use the SageMaker API)",
        )


def _params(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ApiError(
            "SerializationException", f"the request body is not valid JSON: {error}"
        ) from None


def _call(dep: Deployment, signed: sigv4.SignedRequest, target: str | None) -> dict[str, Any]:
    user = sigv4.authenticate(dep, signed)
    set_actor(user.email, user.id)
    name, operation = _operation(target)
    _authorize(user, name)
    params = shapes.validate(name, _params(signed.body))
    return operation(dep, params)


async def sagemaker(request: Request) -> Response:
    request_id = str(uuid.uuid4())
    dep: Deployment = request.app.state.deployment
    try:
        body = await sigv4.read_body(request, MAX_BODY)
        signed = sigv4.signed_request(request, body)
        # Signature checks read the database and operations may read S3: off the event loop.
        result = await run_in_threadpool(_call, dep, signed, request.headers.get("x-amz-target"))
    except ApiError as error:
        return error_response(error, request_id)
    except TruthsetError as error:
        return error_response(from_domain(error), request_id)
    except Exception:
        log.exception("SageMaker request %s failed", request_id)
        return error_response(
            ApiError("InternalFailure", f"internal error; request id {request_id}", 500), request_id
        )
    return Response(
        json.dumps(result), media_type=CONTENT_TYPE, headers={"x-amzn-RequestId": request_id}
    )


router = APIRouter(include_in_schema=False)
for _path in PATHS:
    router.add_api_route(_path, sagemaker, methods=["POST"])
