"""RenderUiTemplate: a worker template rendered with a sample task input, as a preview."""

from __future__ import annotations

import json
from typing import Any

from truthset import task_uis, taskui
from truthset.deployment import Deployment
from truthset.errors import Invalid, NotFound
from truthset.web.sagemaker import arns
from truthset.web.sagemaker.errors import invalid


def render_ui_template(dep: Deployment, params: dict[str, Any]) -> dict[str, Any]:
    """Template problems come back in `Errors` (HTTP 200), as Ground Truth reports them."""
    if "UiTemplate" in params:
        template = params["UiTemplate"]["Content"]
    elif "HumanTaskUiArn" in params:
        name = arns.task_ui_name(params["HumanTaskUiArn"]) or ""
        try:  # a template made with CreateHumanTaskUi, else a Ground Truth-owned UI
            template = task_uis.get_task_ui(dep, name).template
        except NotFound:
            template = arns.task_type_of_ui(params["HumanTaskUiArn"], "HumanTaskUiArn").template()
    else:
        raise invalid("give UiTemplate.Content or HumanTaskUiArn")
    try:
        task_input = json.loads(params["Task"]["Input"])
    except json.JSONDecodeError as error:
        raise invalid(
            f"Task.Input is not valid JSON: {error.msg} at column {error.colno}"
        ) from None
    try:
        # Media URIs stay as they are: a preview has no task whose lease could cover them.
        html = taskui.render(template, task_input, lambda uri: uri)
    except Invalid as error:
        return {
            "RenderedContent": "",
            "Errors": [{"Code": "TemplateError", "Message": error.message}],
        }
    return {"RenderedContent": html, "Errors": []}
