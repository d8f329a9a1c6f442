"""Augmented AI through real boto3 clients (sagemaker, sagemaker-a2i-runtime, s3) against a
live truthset with its data in moto's S3: flow definitions, a loop answered by two workers over
the REST API until its output.json lies in S3 where A2I puts it, and the errors A2I gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tests.sagemaker.a2i import (
    a2i,
    failure,
    flow_request,
    signed_in,
    team_of,
    wait_for_loop,
)
from tests.sagemaker.conftest import Live, unique

PREDICTION = {"text": "The cat sat on the mat", "prediction": "cat", "score": 0.41}


def test_flow_definitions_are_resources(live: Live) -> None:
    sm = live.client()
    team, _ = team_of(live)
    request = flow_request(
        live,
        team,
        TaskAvailabilityLifetimeInSeconds=3600,
    )
    request["HumanLoopActivationConfig"] = {
        "HumanLoopActivationConditionsConfig": {
            "HumanLoopActivationConditions": '{"Conditions": []}'
        }
    }
    name = request["FlowDefinitionName"]
    arn = sm.create_flow_definition(**request)["FlowDefinitionArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:000000000000:flow-definition/{name}"
    described = sm.describe_flow_definition(FlowDefinitionName=name)
    assert described["FlowDefinitionStatus"] == "Active"
    assert described["FlowDefinitionArn"] == arn and described["RoleArn"] == request["RoleArn"]
    human = described["HumanLoopConfig"]
    assert human["TaskCount"] == 2 and human["TaskTimeLimitInSeconds"] == 300
    assert human["TaskAvailabilityLifetimeInSeconds"] == 3600
    assert human["TaskKeywords"] == ["review"] and human["TaskTitle"] == "Check the prediction"
    assert human["WorkteamArn"].endswith(f":workteam/private-crowd/{team}")
    assert (
        human["HumanTaskUiArn"].split("/")[-1]
        == request["HumanLoopConfig"]["HumanTaskUiArn"].split("/")[-1]
    )
    assert described["OutputConfig"] == request["OutputConfig"]
    assert described["HumanLoopActivationConfig"] == request["HumanLoopActivationConfig"]
    assert isinstance(described["CreationTime"], datetime)

    status, code, _ = failure(lambda: sm.create_flow_definition(**request))
    assert (status, code) == (400, "ResourceInUse")
    listed = [
        summary["FlowDefinitionName"]
        for page in sm.get_paginator("list_flow_definitions").paginate(
            SortOrder="Ascending", PaginationConfig={"PageSize": 1}
        )
        for summary in page["FlowDefinitionSummaries"]
    ]
    assert name in listed

    sm.delete_flow_definition(FlowDefinitionName=name)
    assert (
        failure(lambda: sm.describe_flow_definition(FlowDefinitionName=name))[1]
        == "ResourceNotFound"
    )
    assert (
        failure(lambda: sm.delete_flow_definition(FlowDefinitionName=name))[1] == "ResourceNotFound"
    )
    # The name is free again.
    sm.create_flow_definition(**request)


def test_bad_flow_definitions_create_nothing(live: Live) -> None:
    sm = live.client()
    team, _ = team_of(live)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"WorkteamArn": live.team_arn("no-such-team")}, "no work team"),
        (
            {"HumanTaskUiArn": "arn:aws:sagemaker:us-east-1:111122223333:human-task-ui/nope"},
            "no human task UI",
        ),
        ({"TaskCount": 4}, "TaskCount"),
        ({"TaskTimeLimitInSeconds": 30_000}, "task time limit"),
        (
            {"TaskAvailabilityLifetimeInSeconds": 60, "TaskTimeLimitInSeconds": 120},
            "must not exceed",
        ),
    ]
    for change, expected in cases:
        request = flow_request(live, team, **change)
        status, code, message = failure(lambda r=request: sm.create_flow_definition(**r))  # type: ignore[misc]
        assert (status, code) == (400, "ValidationException") and expected in message, message
        name = request["FlowDefinitionName"]
        assert (
            failure(lambda n=name: sm.describe_flow_definition(FlowDefinitionName=n))[1]
            == "ResourceNotFound"
        )  # type: ignore[misc]
    request = flow_request(live, team)
    request["OutputConfig"] = {"S3OutputPath": "https://example.org/out"}
    assert failure(lambda: sm.create_flow_definition(**request))[1] == "ValidationException"


def _output(live: Live, uri: str) -> dict[str, Any]:
    key = uri.removeprefix(f"s3://{live.bucket}/")
    return json.loads(live.s3.get_object(Bucket=live.bucket, Key=key)["Body"].read())  # type: ignore[no-any-return]


def test_a_loop_from_start_to_output_json(live: Live) -> None:
    sm, runtime = live.client(), a2i(live)
    team, emails = team_of(live)
    request = flow_request(live, team)
    flow = request["FlowDefinitionName"]
    flow_arn = sm.create_flow_definition(**request)["FlowDefinitionArn"]
    loop = unique("loop")
    started = runtime.start_human_loop(
        HumanLoopName=loop,
        FlowDefinitionArn=flow_arn,
        HumanLoopInput={"InputContent": json.dumps(PREDICTION)},
        DataAttributes={"ContentClassifiers": ["FreeOfPersonallyIdentifiableInformation"]},
    )
    assert started["HumanLoopArn"] == f"arn:aws:sagemaker:us-east-1:000000000000:human-loop/{loop}"
    described = runtime.describe_human_loop(HumanLoopName=loop)
    assert described["HumanLoopStatus"] == "InProgress" and "HumanLoopOutput" not in described
    assert described["FlowDefinitionArn"] == flow_arn

    with signed_in(live, emails) as workers:
        for worker in workers:
            task = worker.next_task(flow)  # the loop is there at the first call
            assert task is not None and task["input"] == PREDICTION
            answer = {"ok": {"on": True}, "wrong": {"on": False}}
            assert worker.answer(task["task_id"], answer) == 204
            assert worker.next_task(flow) is None  # one task per worker and loop

    done = wait_for_loop(runtime, loop, "Completed")
    uri = done["HumanLoopOutput"]["OutputS3Uri"]
    created = described["CreationTime"].astimezone(UTC)
    prefix = request["OutputConfig"]["S3OutputPath"]
    assert uri == f"{prefix}/{flow}/{created:%Y/%m/%d/%H/%M/%S}/{loop}/output.json"
    output = _output(live, uri)
    assert output["flowDefinitionArn"] == flow_arn and output["humanLoopName"] == loop
    assert output["inputContent"] == PREDICTION
    answers = output["humanAnswers"]
    assert len(answers) == 2 and len({a["workerId"] for a in answers}) == 2
    for answer in answers:
        assert answer["answerContent"] == {"ok": {"on": True}, "wrong": {"on": False}}
        assert answer["submissionTime"].endswith("Z") and answer["acceptanceTime"].endswith("Z")
        assert answer["timeSpentInSeconds"] >= 0
        assert answer["workerMetadata"]["identityData"]["sub"] == answer["workerId"]
    consensus = output["consolidatedAnswer"]
    assert consensus["answerContent"] == answers[0]["answerContent"]
    assert consensus["confidence"] == 1.0 and consensus["agreeingWorkers"] == 2
