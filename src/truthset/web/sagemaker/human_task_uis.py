"""CreateHumanTaskUi, DescribeHumanTaskUi, ListHumanTaskUis and DeleteHumanTaskUi, on truthset's
stored worker templates (truthset.task_uis). A job names one with HumanTaskUiArn."""

from __future__ import annotations

from typing import Any

from truthset import task_uis
from truthset.deployment import Deployment
from truthset.errors import Invalid
from truthset.web.sagemaker import arns
from truthset.web.sagemaker.errors import invalid
from truthset.web.sagemaker.labeling_jobs import epoch
from truthset.web.sagemaker.pagination import page


def create_human_task_ui(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    name = params["HumanTaskUiName"]
    try:
        task_uis.create_task_ui(dep, name, params["UiTemplate"]["Content"])
    except Invalid as error:
        raise invalid(f"UiTemplate.Content: {error.message}") from None
    return {"HumanTaskUiArn": arns.human_task_ui_arn(dep.settings, name)}


def describe_human_task_ui(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    ui = task_uis.get_task_ui(dep, params["HumanTaskUiName"])
    return {
        "HumanTaskUiArn": arns.human_task_ui_arn(dep.settings, ui.name),
        "HumanTaskUiName": ui.name,
        "HumanTaskUiStatus": "Active",
        "CreationTime": epoch(ui.created_at),
        "UiTemplate": {
            "Url": f"{dep.settings.base_url}/console/templates/{ui.name}/template.liquid",
            "ContentSha256": ui.sha256,
        },
    }


def list_human_task_uis(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    after, before = params.get("CreationTimeAfter"), params.get("CreationTimeBefore")
    chosen = [
        ui
        for ui in task_uis.list_task_uis(dep)
        if (after is None or ui.created_at > after) and (before is None or ui.created_at < before)
    ]
    if params.get("SortOrder") == "Ascending":
        chosen.sort(key=lambda ui: (ui.created_at, ui.name))
    else:  # Ground Truth's default order is newest first
        chosen.sort(key=lambda ui: (ui.created_at, ui.name), reverse=True)
    shown, more = page(chosen, params, dep.secret_key, "ListHumanTaskUis")
    summaries = [
        {
            "HumanTaskUiName": ui.name,
            "HumanTaskUiArn": arns.human_task_ui_arn(dep.settings, ui.name),
            "CreationTime": epoch(ui.created_at),
        }
        for ui in shown
    ]
    return {"HumanTaskUiSummaries": summaries, **more}


def delete_human_task_ui(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    task_uis.delete_task_ui(dep, params["HumanTaskUiName"])
    return {}
