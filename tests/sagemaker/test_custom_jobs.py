"""Custom jobs and human task UIs through boto3's sagemaker client, against a live server with
its data in S3: PassThrough and no Lambdas, registered Python-file hooks whose boto3 reads the
consolidation payload from S3, and a real Lambda ARN served by a local Lambda-compatible server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.sagemaker.conftest import ROLE, Live, unique
from tests.sagemaker.test_labeling_jobs import error_of, wait_for
from tests.support.lambda_server import lambda_server
from truthset import dispatch, workforce
from truthset.hooks import targets
from truthset.workforce import UserInfo

SAMPLES = Path(__file__).resolve().parents[1] / "hooks" / "samples"
TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form><p>{{ task.input.taskObject | default: task.input.source }}</p>
<input name="verdict"></crowd-form>"""
PASS_PRE = "arn:aws:lambda:us-east-1:432418664414:function:PRE-PassThrough"
PASS_ACS = "arn:aws:lambda:us-east-1:432418664414:function:ACS-PassThrough"


def custom_request(
    live: Live, team: str, human: dict[str, Any], lines: list[dict[str, Any]]
) -> dict[str, Any]:
    prefix = unique("custom")
    manifest = "".join(json.dumps(line) + "\n" for line in lines)
    return {
        "LabelingJobName": unique("custom"),
        "LabelAttributeName": "verdict",
        "InputConfig": {
            "DataSource": {
                "S3DataSource": {"ManifestS3Uri": live.put(f"{prefix}/in.manifest", manifest)}
            }
        },
        "OutputConfig": {"S3OutputPath": f"s3://{live.bucket}/{prefix}/output"},
        "RoleArn": ROLE,
        "HumanTaskConfig": {
            "WorkteamArn": live.team_arn(team),
            "UiConfig": {"UiTemplateS3Uri": live.put(f"{prefix}/ui.liquid", TEMPLATE)},
            "TaskTitle": "Judge",
            "TaskDescription": "Say what you think",
            "NumberOfHumanWorkersPerDataObject": 2,
            "TaskTimeLimitInSeconds": 300,
            **human,
        },
    }


def workers(live: Live) -> tuple[str, list[UserInfo]]:
    name = unique("team")
    workforce.create_team(live.dep, name, "judges")
    emails = [f"{name}-{i}@example.org" for i in range(2)]
    return name, [
        user
        for user, _ in workforce.create_workers(live.dep, emails, name, "correct horse battery")
    ]


def answer_all(
    live: Live, people: list[UserInfo], job: str, answers: tuple[str, ...]
) -> list[dict[str, Any]]:
    seen = []
    for person, verdict in zip(people, answers, strict=True):
        while (task := dispatch.next_task(live.dep, person, job)) is not None:
            seen.append(json.loads(task.line))
            dispatch.submit_answer(live.dep, person, task.task_id, {"verdict": verdict})
    return seen


def output(live: Live, described: dict[str, Any]) -> list[dict[str, Any]]:
    uri = described["LabelingJobOutput"]["OutputDatasetS3Uri"].removeprefix(f"s3://{live.bucket}/")
    body = live.s3.get_object(Bucket=live.bucket, Key=uri)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def test_human_task_uis_are_resources(live: Live) -> None:
    sm = live.client()
    names = [unique("ui") for _ in range(3)]
    for name in names:
        arn = sm.create_human_task_ui(HumanTaskUiName=name, UiTemplate={"Content": TEMPLATE})[
            "HumanTaskUiArn"
        ]
        assert arn == f"arn:aws:sagemaker:us-east-1:000000000000:human-task-ui/{name}"
    described = sm.describe_human_task_ui(HumanTaskUiName=names[0])
    assert described["HumanTaskUiName"] == names[0] and described["HumanTaskUiStatus"] == "Active"
    assert described["UiTemplate"]["ContentSha256"] and described["UiTemplate"]["Url"].endswith(
        "/template.liquid"
    )
    listed: list[str] = []
    for page in sm.get_paginator("list_human_task_uis").paginate(
        SortOrder="Ascending", PaginationConfig={"PageSize": 2}
    ):
        listed += [s["HumanTaskUiName"] for s in page["HumanTaskUiSummaries"]]
    assert [n for n in listed if n in names] == names
    assert (
        error_of(
            lambda: sm.create_human_task_ui(
                HumanTaskUiName=names[0], UiTemplate={"Content": TEMPLATE}
            )
        )[0]
        == "ResourceInUse"
    )
    code, message = error_of(
        lambda: sm.create_human_task_ui(
            HumanTaskUiName=unique("ui"), UiTemplate={"Content": "{% if %}"}
        )
    )
    assert code == "ValidationException" and "UiTemplate.Content" in message
    sm.delete_human_task_ui(HumanTaskUiName=names[1])
    assert (
        error_of(lambda: sm.describe_human_task_ui(HumanTaskUiName=names[1]))[0]
        == "ResourceNotFound"
    )
    assert (
        error_of(lambda: sm.delete_human_task_ui(HumanTaskUiName=names[1]))[0] == "ResourceNotFound"
    )
    rendered = sm.render_ui_template(
        HumanTaskUiArn=f"arn:aws:sagemaker:us-east-1:000000000000:human-task-ui/{names[0]}",
        Task={"Input": json.dumps({"source": "a sentence"})},
        RoleArn=ROLE,
    )
    assert "a sentence" in rendered["RenderedContent"] and rendered["Errors"] == []


@pytest.mark.parametrize("lambdas", ["passthrough", "none", "task-ui"])
def test_a_custom_job_with_passthrough_or_no_lambdas(live: Live, lambdas: str) -> None:
    team, people = workers(live)
    human: dict[str, Any] = {}
    if lambdas == "passthrough":
        human = {
            "PreHumanTaskLambdaArn": PASS_PRE,
            "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": PASS_ACS},
        }
    request = custom_request(live, team, human, [{"source": "first"}, {"source": "second"}])
    if lambdas == "task-ui":
        ui = unique("ui")
        arn = live.client().create_human_task_ui(
            HumanTaskUiName=ui, UiTemplate={"Content": TEMPLATE}
        )["HumanTaskUiArn"]
        request["HumanTaskConfig"]["UiConfig"] = {"HumanTaskUiArn": arn}
    sm = live.client()
    sm.create_labeling_job(**request)
    name = request["LabelingJobName"]
    wait_for(live, name, "InProgress")
    assert (
        answer_all(live, people, name, ("yes", "no"))
        == [{"source": "first"}, {"source": "second"}] * 2
    )
    described = wait_for(live, name, "Completed")
    assert described["LabelCounters"]["HumanLabeled"] == 2
    if lambdas == "passthrough":
        assert described["HumanTaskConfig"]["PreHumanTaskLambdaArn"] == PASS_PRE
    lines = output(live, described)
    contents = [
        json.loads(a["annotationData"]["content"])
        for a in lines[0]["verdict"]["annotationsFromAllWorkers"]
    ]
    assert contents == [{"verdict": "yes"}, {"verdict": "no"}]
    assert lines[0]["verdict-metadata"]["type"] == "groundtruth/custom"


def test_registered_python_hooks_read_their_payload_from_s3_with_boto3(live: Live) -> None:
    team, people = workers(live)
    pre, post = unique("SageMaker-pre"), unique("SageMaker-post")
    targets.register_hook(live.dep, pre, str(SAMPLES / "pre_annotation.py"))
    targets.register_hook(live.dep, post, str(SAMPLES / "post_annotation.py"))
    human = {
        # Registered hooks answer to their name under any account, as scripts carry their own.
        "PreHumanTaskLambdaArn": f"arn:aws:lambda:us-east-1:111122223333:function:{pre}",
        "AnnotationConsolidationConfig": {
            "AnnotationConsolidationLambdaArn": targets.hook_arn(live.dep, post)
        },
    }
    request = custom_request(
        live,
        team,
        human,
        [{"source": "good", "choices": ["yes", "no"]}, {"source": "skip me", "skip": True}],
    )
    live.client().create_labeling_job(**request)
    name = request["LabelingJobName"]
    deadline_job = wait_for(live, name, "InProgress")
    assert deadline_job["HumanTaskConfig"]["PreHumanTaskLambdaArn"].endswith(pre)
    seen: list[dict[str, Any]] = []
    for _ in range(100):  # the pre-annotation hook runs in the background runner first
        seen += answer_all(live, people, name, ("yes", "yes"))
        if len(seen) == 2:
            break
        import time

        time.sleep(0.1)
    assert seen == [{"taskObject": "good", "choices": ["yes", "no"]}] * 2
    described = wait_for(live, name, "Completed")
    assert described["LabelCounters"] == {
        "TotalLabeled": 1,
        "HumanLabeled": 1,
        "MachineLabeled": 0,
        "FailedNonRetryableError": 0,
        "Unlabeled": 1,
    }
    assert [line.get("verdict") for line in output(live, described)] == [{"verdict": "yes"}, None]


def test_a_real_lambda_arn_is_invoked_through_boto3(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    def consolidate(event: dict[str, Any]) -> list[dict[str, Any]]:
        key = event["payload"]["s3Uri"].removeprefix(f"s3://{live.bucket}/")
        payload = json.loads(live.s3.get_object(Bucket=live.bucket, Key=key)["Body"].read())
        return [
            {
                "datasetObjectId": item["datasetObjectId"],
                "consolidatedAnnotation": {
                    "content": {event["labelAttributeName"]: {"workers": len(item["annotations"])}}
                },
            }
            for item in payload
        ]

    team, people = workers(live)
    with lambda_server({"gt-consolidation": consolidate}) as (endpoint, received):
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", endpoint)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
        arn = "arn:aws:lambda:us-east-1:111122223333:function:gt-consolidation"
        human = {
            "PreHumanTaskLambdaArn": PASS_PRE,
            "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": arn},
        }
        request = custom_request(live, team, human, [{"source": "one"}])
        live.client().create_labeling_job(**request)
        name = request["LabelingJobName"]
        wait_for(live, name, "InProgress")
        answer_all(live, people, name, ("a", "b"))
        described = wait_for(live, name, "Completed")
    assert output(live, described)[0]["verdict"] == {"workers": 2}
    event = received[0]["event"]
    assert event["roleArn"] == ROLE and event["labelAttributeName"] == "verdict"
    assert event["labelingJobArn"].endswith(f":labeling-job/{name}")
