"""ARNs: the ones truthset hands out, and the ones clients send (Lambda, work team).

Region and account in the ARNs we make come from the settings. ARNs sent to us are matched by
name only, so scripts that carry their old AWS account ids keep working.
"""

from __future__ import annotations

import re

from truthset.hooks.events import labeling_job_arn
from truthset.settings import Settings
from truthset.tasktypes.base import TaskType
from truthset.tasktypes.registry import TASK_TYPES
from truthset.web.sagemaker.errors import invalid

WORKFORCE_NAME = "default"
# Accounts that own Ground Truth's built-in Lambdas (reference 2.2); others use us-east-1's.
GT_LAMBDA_ACCOUNTS = {
    "us-east-1": "432418664414",
    "us-east-2": "266458841044",
    "us-west-2": "081040173940",
    "eu-west-1": "568282634449",
    "eu-central-1": "326177286064",
    "ap-northeast-1": "477331159723",
}
_LAMBDA = re.compile(r"arn:aws[a-z\-]*:lambda:[a-z0-9\-]*:[0-9]{12}:function:(.+)")
_BUILT_IN = re.compile(r"(PRE|ACS)-([A-Za-z0-9]+)")
_WORKTEAM = re.compile(r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:workteam/([^/]+)/(.+)")
_FLOW = re.compile(r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:flow-definition/(.+)")
_HUMAN_TASK_UI = re.compile(r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:human-task-ui/(.+)")


def _prefix(settings: Settings) -> str:
    return f"arn:aws:sagemaker:{settings.sagemaker_region}:{settings.sagemaker_account_id}"


def job_arn(settings: Settings, name: str) -> str:
    return labeling_job_arn(settings, name)


def human_task_ui_arn(settings: Settings, name: str) -> str:
    return f"{_prefix(settings)}:human-task-ui/{name}"


def workteam_arn(settings: Settings, name: str) -> str:
    return f"{_prefix(settings)}:workteam/private-crowd/{name}"


def workforce_arn(settings: Settings) -> str:
    return f"{_prefix(settings)}:workforce/{WORKFORCE_NAME}"


def model_arn(settings: Settings, job_name: str) -> str:
    """The final automated-labeling model of a job (the last iteration's model)."""
    return f"{_prefix(settings)}:model/{job_name.lower()}-final-model"


def model_job_name(arn: str, field: str) -> str:
    """The job whose final model a model ARN names (for InitialActiveLearningModelArn)."""
    name = arn.rsplit(":model/", 1)[-1] if ":model/" in arn else ""
    if not name.endswith("-final-model"):
        raise invalid(f"{field}: {arn!r} is not the FinalActiveLearningModelArn of a truthset job")
    return name.removesuffix("-final-model")


def lambda_arn(settings: Settings, stage: str, kind: TaskType) -> str:
    """The built-in PRE-/ACS- Lambda of a task type, in the configured region."""
    region = settings.sagemaker_region
    account = GT_LAMBDA_ACCOUNTS.get(region, GT_LAMBDA_ACCOUNTS["us-east-1"])
    return f"arn:aws:lambda:{region}:{account}:function:{stage}-{kind.lambda_suffix}"


def _supported() -> str:
    return ", ".join(
        sorted(kind.lambda_suffix for kind in TASK_TYPES.values() if kind.name != "custom")
    )


def built_in_task_type(arn: str, stage: str, field: str) -> TaskType | None:
    """The built-in task type a PRE-/ACS- Lambda ARN names; None for PassThrough and for any
    other function (a custom job's hook)."""
    match = _LAMBDA.fullmatch(arn)
    built_in = _BUILT_IN.fullmatch(match.group(1)) if match else None
    if built_in is None or built_in.group(2) == "PassThrough":
        return None
    if built_in.group(1) != stage:
        raise invalid(f"{field}: {arn} is not a built-in {stage}-<TaskType> Lambda")
    return task_type_of_lambda(arn, stage, field)


def task_ui_name(arn: str) -> str | None:
    """The name in a human-task-ui ARN (a truthset template or a Ground Truth-owned UI)."""
    match = _HUMAN_TASK_UI.fullmatch(arn)
    return match.group(1) if match else None


def task_type_of_lambda(arn: str, stage: str, field: str) -> TaskType:
    """The built-in task type a PRE-/ACS- Lambda ARN names, in any region and account."""
    match = _LAMBDA.fullmatch(arn)
    built_in = _BUILT_IN.fullmatch(match.group(1)) if match else None
    if built_in is None or built_in.group(1) != stage:
        raise invalid(
            f"{field}: {arn} is not a built-in {stage}-<TaskType> Lambda; custom Lambdas are "
            f"not supported by truthset. Built-in task types: {_supported()}"
        )
    suffix = built_in.group(2)
    for kind in TASK_TYPES.values():
        if kind.lambda_suffix == suffix and kind.name != "custom":
            return kind
    raise invalid(
        f"{field}: the task type {suffix} is not supported by truthset; supported: {_supported()}"
    )


def task_type_of_ui(arn: str, field: str) -> TaskType:
    """The task type a Ground Truth-owned worker UI (human-task-ui/<Name>) belongs to."""
    match = _HUMAN_TASK_UI.fullmatch(arn)
    name = match.group(1) if match else arn
    for kind in TASK_TYPES.values():
        if kind.lambda_suffix == name and kind.name != "custom":
            return kind
    raise invalid(f"{field}: the worker UI {name} is not supported by truthset")


def workteam_name(arn: str, field: str) -> str:
    match = _WORKTEAM.fullmatch(arn)
    if match is None:
        raise invalid(f"{field}: {arn} is not a work team ARN")
    if match.group(1) != "private-crowd":
        raise invalid(
            f"{field}: only private work teams are supported (…:workteam/private-crowd/<name>); "
            f"truthset has no {match.group(1)}"
        )
    return match.group(2)


def flow_name(arn: str, field: str) -> str:
    """The flow definition a FlowDefinitionArn names (any region and account, as for teams)."""
    match = _FLOW.fullmatch(arn)
    if match is None:
        raise invalid(f"{field}: {arn} is not a flow definition ARN")
    return match.group(1)
