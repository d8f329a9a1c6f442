"""Valid CreateLabelingJob requests over data uploaded to the test bucket."""

from __future__ import annotations

import json
from typing import Any

from tests.sagemaker.conftest import ACS, LABELS, PRE, ROLE, Live, unique
from truthset import workforce


def team(live: Live) -> str:
    """A new work team, made through the domain (the API's own tests cover CreateWorkteam)."""
    name = unique("team")
    workforce.create_team(live.dep, name, "test team")
    return name


def job_request(
    live: Live, team_name: str, name: str | None = None, objects: int = 2
) -> dict[str, Any]:
    prefix = unique("data")
    lines = "".join(
        json.dumps({"source-ref": f"s3://{live.bucket}/{prefix}/{i}.png"}) + "\n"
        for i in range(objects)
    )
    return {
        "LabelingJobName": name or unique("job"),
        "LabelAttributeName": "label",
        "InputConfig": {
            "DataSource": {
                "S3DataSource": {"ManifestS3Uri": live.put(f"{prefix}/in.manifest", lines)}
            }
        },
        "OutputConfig": {"S3OutputPath": f"s3://{live.bucket}/{prefix}/output"},
        "RoleArn": ROLE,
        "LabelCategoryConfigS3Uri": live.put(f"{prefix}/labels.json", json.dumps(LABELS)),
        "HumanTaskConfig": {
            "WorkteamArn": live.team_arn(team_name),
            "UiConfig": {"UiTemplateS3Uri": live.put(f"{prefix}/ui.liquid", TEMPLATE)},
            "PreHumanTaskLambdaArn": PRE,
            "TaskTitle": "Cat or dog?",
            "TaskDescription": "Choose the animal in the picture",
            "NumberOfHumanWorkersPerDataObject": 1,
            "TaskTimeLimitInSeconds": 300,
            "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": ACS},
        },
    }


TEMPLATE = """<crowd-form><crowd-image-classifier name="crowd-image-classifier"
 src="{{ task.input.taskObject | grant_read_access }}" header="Which?"
 categories="{{ task.input.labels | to_json | escape }}"></crowd-image-classifier></crowd-form>"""
