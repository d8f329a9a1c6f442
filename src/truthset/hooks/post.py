"""The post-annotation hook of a custom job, run where consolidation runs.

The batch's consolidation-request file is written to the output folder first, as Ground Truth
does, and the event's `payload.s3Uri` names it. For a local output folder the URI is a file://
URI: a Python-file hook gets a copy inside its sandbox, and HTTP and Lambda hooks, which cannot
read this machine's files, also get the file's text as `payload.content`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from truthset import output
from truthset.deployment import Deployment
from truthset.hooks.base import Hook
from truthset.hooks.events import BadResponse, parse_post, post_event
from truthset.hooks.python_file import PythonFileHook
from truthset.hooks.targets import open_hook
from truthset.labels import label_names
from truthset.tasktypes.base import ObjectAnswers


@dataclass
class PostRun:
    """What one consolidation batch's hook call left behind."""

    request_name: str | None = None
    failures: dict[int, str] = field(default_factory=dict)


def _payload(hook: Hook, uri: str, data: bytes) -> dict[str, str]:
    if uri.startswith("s3://"):
        return {"s3Uri": uri}
    if isinstance(hook, PythonFileHook):
        copy = hook.folder / "payload" / uri.rsplit("/", 1)[-1]
        copy.write_bytes(data)
        return {"s3Uri": f"file://{copy}"}
    return {"s3Uri": f"file://{uri.removeprefix('file://')}", "content": data.decode()}


def role_arn(dep: Deployment, options: dict[str, Any]) -> str:
    request = options.get("sagemaker")
    if isinstance(request, dict) and request.get("RoleArn"):
        return str(request["RoleArn"])
    return f"arn:aws:iam::{dep.settings.sagemaker_account_id}:role/truthset"


def post_hook(dep: Deployment, job: Any, now: Any, run: PostRun) -> Any:
    """The context's post_hook for this job's batch, or None when the job has none."""
    options = json.loads(job.options)
    spec = options.get("post_hook")
    if job.task_type != "custom" or spec is None:
        return None

    def call(objects: list[ObjectAnswers]) -> dict[int, Any]:
        name, uri, data = output.write_consolidation_request(dep, job, objects, now)
        run.request_name = name
        ids = {obj.object_id for obj in objects}
        labels = label_names(json.loads(job.label_config))
        with open_hook(dep, spec) as hook:
            event = post_event(
                dep.settings,
                job,
                labels,
                role_arn(dep, options),
                _payload(hook, uri, data),
                output.job_folder(job),
            )
            outcome = hook.invoke(event)
        if outcome.error is not None:
            run.failures = dict.fromkeys(ids, f"post-annotation hook: {outcome.error}")
            return {}
        try:
            found, problems = parse_post(outcome.value, job.label_attribute_name, ids)
        except BadResponse as error:
            run.failures = dict.fromkeys(ids, f"post-annotation hook: {error}")
            return {}
        for object_id in ids - found.keys():
            reason = problems.get(object_id, "the response has no label for this object")
            run.failures[object_id] = f"post-annotation hook: {reason}"
        return found

    return call
