"""A pre-annotation function in the style of Ground Truth's documented sample (the AWS recipe's
pre_human_task_lambda): the object as taskObject, and no human needed when it has none."""

import json


def lambda_handler(event, context):
    print("Received event: " + json.dumps(event))
    data_object = event["dataObject"]
    task_object = data_object.get("source", data_object.get("source-ref"))
    output = {
        "taskInput": {"taskObject": task_object, "choices": data_object.get("choices", [])},
        "isHumanAnnotationRequired": "true",
    }
    if data_object.get("skip"):
        output["isHumanAnnotationRequired"] = "false"
    return output
