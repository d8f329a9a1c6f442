"""Work teams, the workforce, RenderUiTemplate, and requests that are not operations at all."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import botocore.exceptions
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.sagemaker.conftest import ROLE, Live, unique
from tests.sagemaker.job_requests import job_request
from tests.support.factories import PASSWORD
from truthset import jobs, workforce


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def people(live: Live, team: str, count: int) -> list[str]:
    workforce.create_team(live.dep, team)
    emails = [f"w{i}@{team}.example" for i in range(count)]
    workforce.create_workers(live.dep, emails, team, PASSWORD)
    return emails


def oidc(*groups: str) -> list[dict[str, Any]]:
    return [{"OidcMemberDefinition": {"Groups": list(groups)}}]


def test_groups_are_teams_whose_members_join(live: Live) -> None:
    sm = live.client()
    readers, seniors = unique("readers"), unique("seniors")
    emails = people(live, readers, 2) + people(live, seniors, 1)
    name = unique("team")
    arn = sm.create_workteam(
        WorkteamName=name,
        Description="Breast imaging",
        MemberDefinitions=oidc(readers.upper(), name, seniors),
        WorkforceName="default",
        Tags=[{"Key": "k", "Value": "v"}],
    )["WorkteamArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:000000000000:workteam/private-crowd/{name}"
    _, members = workforce.get_team(live.dep, name)
    assert sorted(m.email for m in members) == sorted(emails)
    team = sm.describe_workteam(WorkteamName=name)["Workteam"]
    assert team["WorkteamArn"] == arn and team["Description"] == "Breast imaging"
    assert team["MemberDefinitions"] == oidc(readers.upper(), name, seniors)
    assert team["WorkforceArn"] == "arn:aws:sagemaker:us-east-1:000000000000:workforce/default"
    assert team["SubDomain"] == live.url.removeprefix("http://")
    assert team["CreateDate"] <= team["LastUpdatedDate"]  # members joined after creation


def test_bad_member_definitions(live: Live) -> None:
    sm = live.client()
    name = unique("team")
    cognito = {"UserPool": "us-east-1_abc", "UserGroup": name, "ClientId": "c"}
    mixed = [{"CognitoMemberDefinition": cognito}, *oidc(name)]
    assert (
        "not both"
        in error_of(
            lambda: sm.create_workteam(WorkteamName=name, Description="d", MemberDefinitions=mixed)
        )[1]
    )
    pools = [
        {"CognitoMemberDefinition": cognito},
        {"CognitoMemberDefinition": {**cognito, "UserPool": "us-east-1_other"}},
    ]
    assert (
        "same UserPool and ClientId"
        in error_of(
            lambda: sm.create_workteam(WorkteamName=name, Description="d", MemberDefinitions=pools)
        )[1]
    )
    assert (
        "no workforce named 'other'"
        in error_of(
            lambda: sm.create_workteam(
                WorkteamName=name,
                Description="d",
                MemberDefinitions=oidc(name),
                WorkforceName="other",
            )
        )[1]
    )
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_workteam(WorkteamName=name)  # nothing was created


def test_duplicate_update_and_delete(live: Live) -> None:
    sm = live.client()
    name, extra = unique("team"), unique("extra")
    sm.create_workteam(WorkteamName=name, Description="first", MemberDefinitions=oidc(name))
    code, message = error_of(
        lambda: sm.create_workteam(
            WorkteamName=name.upper(), Description="d", MemberDefinitions=oidc(name)
        )
    )
    assert code == "ResourceInUse" and "already exists" in message
    emails = people(live, extra, 2)
    updated = sm.update_workteam(
        WorkteamName=name,
        Description="second",
        MemberDefinitions=oidc(name, extra),
        NotificationConfiguration={},
    )["Workteam"]
    assert updated["Description"] == "second"
    assert updated["LastUpdatedDate"] > updated["CreateDate"]
    assert [m.email for m in workforce.get_team(live.dep, name)[1]] == emails

    sm.create_labeling_job(**job_request(live, name))
    code, message = error_of(lambda: sm.delete_workteam(WorkteamName=name))
    assert code == "ResourceInUse" and "running labeling job" in message
    assert sm.delete_workteam(WorkteamName=extra)["Success"] is True
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_workteam(WorkteamName=extra)
    assert error_of(lambda: sm.delete_workteam(WorkteamName=extra))[0] == "ResourceNotFound"
    assert error_of(lambda: sm.update_workteam(WorkteamName=extra, Description="x"))[0] == (
        "ResourceNotFound"
    )


def test_list_workteams_sorts_filters_and_pages(live: Live) -> None:
    sm = live.client()
    prefix = unique("lw")
    names = [f"{prefix}-{letter}" for letter in "bca"]
    for name in names:
        sm.create_workteam(WorkteamName=name, Description="d", MemberDefinitions=oidc(name))
    by_date = [t["WorkteamName"] for t in sm.list_workteams(NameContains=prefix)["Workteams"]]
    assert by_date == names
    paginator = sm.get_paginator("list_workteams")
    pages = list(
        paginator.paginate(
            NameContains=prefix,
            SortBy="Name",
            SortOrder="Descending",
            PaginationConfig={"PageSize": 2},
        )
    )
    assert [[t["WorkteamName"] for t in p["Workteams"]] for p in pages] == [
        sorted(names, reverse=True)[:2],
        sorted(names, reverse=True)[2:],
    ]


def test_the_workforce(live: Live) -> None:
    sm = live.client()
    workforce_ = sm.describe_workforce(WorkforceName="default")["Workforce"]
    assert workforce_["WorkforceArn"].endswith(":workforce/default")
    assert workforce_["Status"] == "Active"
    assert sm.list_workforces()["Workforces"] == [workforce_]
    assert sm.list_workforces(NameContains="other")["Workforces"] == []
    code, message = error_of(lambda: sm.describe_workforce(WorkforceName="mturk"))
    assert code == "ResourceNotFound" and "this deployment's is 'default'" in message


def test_render_ui_template(live: Live) -> None:
    sm = live.client()
    template = "<p>{{ task.input.taskObject | grant_read_access }}</p><p>{{ task.input.note }}</p>"
    rendered = sm.render_ui_template(
        UiTemplate={"Content": template},
        Task={"Input": json.dumps({"taskObject": "s3://b0b/x.png", "note": "<b>hi</b>"})},
        RoleArn=ROLE,
    )
    assert rendered["Errors"] == []
    assert "<p>s3://b0b/x.png</p><p>&lt;b&gt;hi&lt;/b&gt;</p>" in rendered["RenderedContent"]
    broken = sm.render_ui_template(
        UiTemplate={"Content": "{% if x %}open"}, Task={"Input": "{}"}, RoleArn=ROLE
    )
    assert broken["RenderedContent"] == "" and broken["Errors"][0]["Code"] == "TemplateError"
    code, message = error_of(
        lambda: sm.render_ui_template(
            UiTemplate={"Content": "x"}, Task={"Input": "{nope"}, RoleArn=ROLE
        )
    )
    assert code == "ValidationException" and message.startswith("Task.Input is not valid JSON")
    built_in = sm.render_ui_template(
        HumanTaskUiArn="arn:aws:sagemaker:us-east-1:394669845002:human-task-ui/ImageMultiClass",
        Task={"Input": json.dumps({"taskObject": "x.png", "labels": ["a", "b"]})},
        RoleArn=ROLE,
    )
    assert "crowd-image-classifier" in built_in["RenderedContent"]


def test_operations_truthset_does_not_have(live: Live) -> None:
    sm = live.client()
    code, message = error_of(sm.list_training_jobs)
    assert code == "UnknownOperationException"
    assert message.startswith("truthset does not support the operation SageMaker.ListTrainingJobs")
    assert "CreateLabelingJob" in message


def signed_post(live: Live, body: bytes, target: str) -> httpx.Response:
    """A raw request, signed like boto3 signs, for bodies boto3 would never send."""
    request = AWSRequest(
        method="POST",
        url=f"{live.url}/",
        data=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target},
    )
    credentials = Credentials(live.key.access_key_id, live.key.secret_access_key)
    SigV4Auth(credentials, "sagemaker", "us-east-1").add_auth(request)
    return httpx.post(request.url, content=body, headers=dict(request.headers.items()))


def test_bodies_that_are_not_json_objects(live: Live) -> None:
    response = signed_post(live, b"{not json", "SageMaker.ListWorkteams")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert response.json()["__type"] == "SerializationException"
    response = signed_post(live, b"[1, 2]", "SageMaker.ListWorkteams")
    assert response.json() == {
        "__type": "SerializationException",
        "message": "the request body must be a JSON object",
    }
    response = signed_post(live, b"{}", "Other.ListWorkteams")
    assert response.json()["__type"] == "UnknownOperationException"
    response = signed_post(live, b'{"MaxResults": "ten"}', "SageMaker.ListWorkteams")
    assert (
        response.json()["message"] == "1 validation error detected: MaxResults must be an integer"
    )
    assert response.headers["x-amzn-requestid"]
    huge = httpx.post(f"{live.url}/", content=b" " * (1024 * 1024 + 1))
    assert huge.status_code == 413 and huge.json()["__type"] == "SerializationException"


def test_teams_with_ended_jobs_can_be_deleted(live: Live) -> None:
    """As Ground Truth's DeleteWorkteam (whose only documented error is ResourceLimitExceeded):
    the jobs keep naming the team they were sent to, and the name is free again."""
    sm = live.client()
    name = unique("team")
    sm.create_workteam(WorkteamName=name, Description="d", MemberDefinitions=oidc(name))
    request = job_request(live, name)
    sm.create_labeling_job(**request)
    sm.stop_labeling_job(LabelingJobName=request["LabelingJobName"])
    deadline = time.monotonic() + 30
    while jobs.describe_job(live.dep, request["LabelingJobName"]).status != "Stopped":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert sm.delete_workteam(WorkteamName=name)["Success"] is True
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_workteam(WorkteamName=name)
    job = sm.describe_labeling_job(LabelingJobName=request["LabelingJobName"])
    assert job["HumanTaskConfig"]["WorkteamArn"].endswith(f":workteam/private-crowd/{name}")
    assert name not in [t["WorkteamName"] for t in sm.list_workteams()["Workteams"]]
    sm.create_workteam(WorkteamName=name, Description="again", MemberDefinitions=oidc(name))
    assert sm.describe_workteam(WorkteamName=name)["Workteam"]["Description"] == "again"
