"""CreateFlowDefinition, DescribeFlowDefinition, ListFlowDefinitions and DeleteFlowDefinition,
on truthset.review.flows. The loops themselves are the sagemaker-a2i-runtime service
(web/sagemaker/a2i_runtime.py)."""

from __future__ import annotations

from typing import Any

from truthset.deployment import Deployment
from truthset.errors import Invalid
from truthset.review import flows
from truthset.review.flows import FlowInfo, FlowRequest
from truthset.web.sagemaker import arns
from truthset.web.sagemaker.errors import invalid
from truthset.web.sagemaker.labeling_jobs import epoch
from truthset.web.sagemaker.pagination import page

# Kept as given and returned by DescribeFlowDefinition; truthset does not act on them
# (activation conditions are for AWS's Textract and Rekognition integrations).
_STORED = ("HumanLoopRequestSource", "HumanLoopActivationConfig", "RoleArn", "Tags")
_KMS = "OutputConfig.KmsKeyId"


def _request(params: dict[str, Any]) -> FlowRequest:
    human = params.get("HumanLoopConfig")
    if human is None:
        raise invalid("HumanLoopConfig is required: truthset sends loops to a private work team")
    ui = arns.task_ui_name(human["HumanTaskUiArn"])
    if ui is None:
        raise invalid(
            f"HumanLoopConfig.HumanTaskUiArn: {human['HumanTaskUiArn']} is not a human task UI ARN"
        )
    output = params["OutputConfig"]["S3OutputPath"]
    if not output.startswith("s3://"):
        raise invalid(f"OutputConfig.S3OutputPath: {output} is not an s3:// URI")
    extra = {key: params[key] for key in _STORED if key in params}
    if "KmsKeyId" in params["OutputConfig"]:
        extra["KmsKeyId"] = params["OutputConfig"]["KmsKeyId"]
    if "PublicWorkforceTaskPrice" in human:
        raise invalid(
            "HumanLoopConfig.PublicWorkforceTaskPrice: truthset has only private work teams"
        )
    return FlowRequest(
        name=params["FlowDefinitionName"],
        team=arns.workteam_name(human["WorkteamArn"], "HumanLoopConfig.WorkteamArn"),
        task_ui=ui,
        task_count=human["TaskCount"],
        title=human["TaskTitle"],
        description=human["TaskDescription"],
        output_path=output,
        time_limit=human.get("TaskTimeLimitInSeconds", flows.DEFAULT_TIME_LIMIT),
        availability=human.get("TaskAvailabilityLifetimeInSeconds", flows.DEFAULT_AVAILABILITY),
        keywords=human.get("TaskKeywords", []),
        extra=extra,
    )


def create_flow_definition(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    request = _request(params)
    try:
        created = flows.create_flow(dep, request)
    except Invalid as error:
        raise invalid(f"HumanLoopConfig: {error.message}") from None
    return {"FlowDefinitionArn": flows.flow_arn(dep.settings, created.name)}


def _human_loop_config(dep: Deployment, flow: FlowInfo) -> dict[str, Any]:
    config: dict[str, Any] = {
        "WorkteamArn": arns.workteam_arn(dep.settings, flow.team),
        "HumanTaskUiArn": arns.human_task_ui_arn(dep.settings, flow.task_ui),
        "TaskTitle": flow.title,
        "TaskDescription": flow.description,
        "TaskCount": flow.task_count,
        "TaskAvailabilityLifetimeInSeconds": flow.availability,
        "TaskTimeLimitInSeconds": flow.time_limit,
    }
    if flow.keywords:
        config["TaskKeywords"] = flow.keywords
    return config


def describe_flow_definition(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    flow = flows.get_flow(dep, params["FlowDefinitionName"])
    output: dict[str, Any] = {"S3OutputPath": flow.output_path}
    if "KmsKeyId" in flow.extra:
        output["KmsKeyId"] = flow.extra["KmsKeyId"]
    described = {
        "FlowDefinitionArn": flows.flow_arn(dep.settings, flow.name),
        "FlowDefinitionName": flow.name,
        "FlowDefinitionStatus": "Active",
        "CreationTime": epoch(flow.created_at),
        "HumanLoopConfig": _human_loop_config(dep, flow),
        "OutputConfig": output,
        "RoleArn": flow.extra.get("RoleArn", ""),
    }
    for key in ("HumanLoopRequestSource", "HumanLoopActivationConfig"):
        if key in flow.extra:
            described[key] = flow.extra[key]
    return described


def list_flow_definitions(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    after, before = params.get("CreationTimeAfter"), params.get("CreationTimeBefore")
    chosen = [
        flow
        for flow in flows.list_flows(dep)
        if (after is None or flow.created_at > after)
        and (before is None or flow.created_at < before)
    ]
    # SageMaker's List operations show the newest first unless asked otherwise.
    chosen.sort(
        key=lambda f: (f.created_at, f.name), reverse=params.get("SortOrder") != "Ascending"
    )
    shown, more = page(chosen, params, dep.secret_key, "ListFlowDefinitions")
    summaries = [
        {
            "FlowDefinitionName": flow.name,
            "FlowDefinitionArn": flows.flow_arn(dep.settings, flow.name),
            "FlowDefinitionStatus": "Active",
            "CreationTime": epoch(flow.created_at),
        }
        for flow in shown
    ]
    return {"FlowDefinitionSummaries": summaries, **more}


def delete_flow_definition(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    flows.delete_flow(dep, params["FlowDefinitionName"])
    return {}
