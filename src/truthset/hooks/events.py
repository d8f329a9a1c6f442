"""Ground Truth's hook payloads (reference 6.3, 6.4): the events sent and the responses taken.

A response that does not have the documented shape is a failed invocation with a reason that
says what was wrong, never a crash of the caller.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from truthset.settings import Settings

VERSION = "2018-10-16"
MAX_TASK_INPUT_CHARS = 1_000_000


class BadResponse(ValueError):
    """The hook answered, but not in the shape Ground Truth requires."""


def labeling_job_arn(settings: Settings, name: str) -> str:
    """The job's ARN as the SageMaker API reports it (hooks see the same one)."""
    prefix = f"arn:aws:sagemaker:{settings.sagemaker_region}:{settings.sagemaker_account_id}"
    return f"{prefix}:labeling-job/{name.lower()}"


def pre_event(job_arn: str, line: dict[str, Any]) -> dict[str, Any]:
    return {"version": VERSION, "labelingJobArn": job_arn, "dataObject": line}


@dataclass(frozen=True)
class PreAnswer:
    task_input: str  # JSON
    human_required: bool


def _truth(value: Any, field: str) -> bool:
    # Ground Truth's own samples return the strings "true" / "false".
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise BadResponse(f"{field} must be true or false, got {value!r}")


def parse_pre(value: Any) -> PreAnswer:
    """A pre-annotation response: `{"taskInput": {...}, "isHumanAnnotationRequired": bool}`."""
    if not isinstance(value, dict):
        raise BadResponse(
            f'the pre-annotation response must be an object with "taskInput", got {_kind(value)}'
        )
    if "taskInput" not in value:
        raise BadResponse('the pre-annotation response has no "taskInput"')
    text = json.dumps(value["taskInput"], ensure_ascii=False)
    if len(text) > MAX_TASK_INPUT_CHARS:
        raise BadResponse(f"taskInput is longer than {MAX_TASK_INPUT_CHARS} characters")
    required = True
    # The AWS recipe spells it humanAnnotationRequired; both are taken.
    for key in ("isHumanAnnotationRequired", "humanAnnotationRequired"):
        if key in value:
            required = _truth(value[key], key)
    return PreAnswer(text, required)


def post_event(
    settings: Settings,
    job: Any,
    labels: list[str] | None,
    role_arn: str,
    payload: dict[str, str],
    output_folder: str,
) -> dict[str, Any]:
    return {
        "version": VERSION,
        "labelingJobArn": labeling_job_arn(settings, job.name),
        "labelCategories": labels or None,
        "labelAttributeName": job.label_attribute_name,
        "roleArn": role_arn,
        "payload": payload,
        "outputConfig": output_folder,
    }


def parse_post(
    value: Any, attribute: str, object_ids: set[int]
) -> tuple[dict[int, Any], dict[int, str]]:
    """The labels of a consolidation response by object id, and what was wrong for objects it
    gave no usable label (objects it left out are in neither).

    Shape: `[{"datasetObjectId": "0", "consolidatedAnnotation": {"content": {<attr>: ...}}}]`."""
    if not isinstance(value, list):
        raise BadResponse(f"the post-annotation response must be a list, got {_kind(value)}")
    labels: dict[int, Any] = {}
    problems: dict[int, str] = {}
    for index, entry in enumerate(value):
        where = f"response[{index}]"
        if not isinstance(entry, dict):
            raise BadResponse(f"{where} must be an object, got {_kind(entry)}")
        try:
            object_id = int(str(entry.get("datasetObjectId")))
        except ValueError:
            raise BadResponse(f"{where}.datasetObjectId must name a data object") from None
        content = (entry.get("consolidatedAnnotation") or {}).get("content")
        if object_id not in object_ids:
            continue  # not one of this batch: Ground Truth ignores it too
        if not isinstance(content, dict) or attribute not in content:
            problems[object_id] = f"{where}.consolidatedAnnotation.content has no {attribute!r}"
        else:
            labels[object_id] = content[attribute]
    return labels, problems


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
