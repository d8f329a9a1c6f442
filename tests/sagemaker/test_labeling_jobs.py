"""CreateLabelingJob, DescribeLabelingJob, ListLabelingJobs, StopLabelingJob and
ListLabelingJobsForWorkteam through boto3, and the same jobs seen by the rest of truthset."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import botocore.exceptions
import pytest

from tests.sagemaker.conftest import PRE, Live, unique
from tests.sagemaker.job_requests import job_request, team
from tests.support.factories import make_job
from truthset import jobs


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def wait_for(live: Live, name: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while (job := live.client().describe_labeling_job(LabelingJobName=name))[
        "LabelingJobStatus"
    ] != status:
        assert time.monotonic() < deadline, job["LabelingJobStatus"]
        time.sleep(0.05)
    return dict(job)


def test_create_then_describe_returns_what_was_sent(live: Live) -> None:
    sm = live.client()
    request = job_request(live, team(live))
    request["Tags"] = [{"Key": "cost-centre", "Value": "radiology"}]
    request["StoppingConditions"] = {"MaxHumanLabeledObjectCount": 10}
    request["InputConfig"]["DataAttributes"] = {"ContentClassifiers": ["FreeOfAdultContent"]}
    arn = sm.create_labeling_job(**request)["LabelingJobArn"]
    name = request["LabelingJobName"]
    assert arn == f"arn:aws:sagemaker:us-east-1:000000000000:labeling-job/{name}"
    described = wait_for(live, name, "InProgress")
    for field in ("LabelAttributeName", "InputConfig", "OutputConfig", "RoleArn", "Tags"):
        assert described[field] == request[field], field
    assert described["StoppingConditions"] == request["StoppingConditions"]
    human = described["HumanTaskConfig"]
    assert {k: human[k] for k in request["HumanTaskConfig"]} == request["HumanTaskConfig"]
    assert human["TaskAvailabilityLifetimeInSeconds"] == 2_592_000  # the defaults in force
    assert human["MaxConcurrentTaskCount"] == 1000
    assert described["LabelCounters"]["Unlabeled"] == 2
    assert described["CreationTime"].tzinfo is not None
    assert len(described["JobReferenceCode"]) >= 1
    assert "LabelingJobOutput" not in described and "FailureReason" not in described
    # The same job for the rest of truthset.
    info = jobs.describe_job(live.dep, name.upper())
    assert (info.task_type, info.object_count, info.title) == (
        "image-classification",
        2,
        "Cat or dog?",
    )


def test_automated_labeling_is_switched_on_by_the_algorithm_config(live: Live) -> None:
    sm = live.client()
    workers_team = team(live)
    earlier = unique("earlier")
    make_job(live.dep, name=earlier, team=workers_team, objects=1)
    model = "arn:aws:sagemaker:us-east-1:000000000000:model/{}-final-model"
    request = job_request(live, workers_team)
    request["LabelingJobAlgorithmsConfig"] = {
        "LabelingJobAlgorithmSpecificationArn": "arn:aws:sagemaker:eu-west-1:027400017018:"
        "labeling-job-algorithm-specification/image-classification",
        "InitialActiveLearningModelArn": model.format("no-such-job"),
    }
    code, message = error_of(lambda: sm.create_labeling_job(**request))
    assert code == "ValidationException"
    assert message.startswith("LabelingJobAlgorithmsConfig.InitialActiveLearningModelArn: no ")
    request["LabelingJobAlgorithmsConfig"]["InitialActiveLearningModelArn"] = model.format(earlier)
    sm.create_labeling_job(**request)
    name = request["LabelingJobName"]
    described = wait_for(live, name, "InProgress")
    assert described["LabelingJobAlgorithmsConfig"] == request["LabelingJobAlgorithmsConfig"]
    info = jobs.describe_job(live.dep, name)
    assert info.options["auto_label"] == {"initial_model_job": earlier}


def test_jobs_made_elsewhere_are_described_too(live: Live) -> None:
    name = unique("cli-job")
    workers_team = team(live)
    make_job(live.dep, name=name, team=workers_team, objects=1)
    described = live.client().describe_labeling_job(LabelingJobName=name)
    human = described["HumanTaskConfig"]
    assert human["WorkteamArn"].endswith(f":workteam/private-crowd/{workers_team}")
    assert human["PreHumanTaskLambdaArn"] == PRE
    assert human["UiConfig"]["UiTemplateS3Uri"].endswith(f"/{name}/annotation-tool/template.liquid")
    assert described["LabelCategoryConfigS3Uri"].endswith(f"/{name}/annotation-tool/data.json")
    assert described["LabelingJobStatus"] == "InProgress"


def test_names_are_unique_ignoring_case(live: Live) -> None:
    sm = live.client()
    workers = team(live)
    request = job_request(live, workers)
    sm.create_labeling_job(**request)
    again = job_request(live, workers, name=request["LabelingJobName"].upper())
    code, message = error_of(lambda: sm.create_labeling_job(**again))
    assert code == "ResourceInUse" and "already exists" in message


def test_describe_and_stop_unknown_jobs(live: Live) -> None:
    sm = live.client()
    with pytest.raises(sm.exceptions.ResourceNotFound, match="no labeling job named 'nope'"):
        sm.describe_labeling_job(LabelingJobName="nope")
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.stop_labeling_job(LabelingJobName="nope")


def test_stop_goes_stopping_then_stopped_with_output(live: Live) -> None:
    sm = live.client()
    request = job_request(live, team(live))
    name = request["LabelingJobName"]
    sm.create_labeling_job(**request)
    wait_for(live, name, "InProgress")
    sm.stop_labeling_job(LabelingJobName=name)
    sm.stop_labeling_job(LabelingJobName=name)  # again while it stops: fine
    stopped = wait_for(live, name, "Stopped")
    output = stopped["LabelingJobOutput"]["OutputDatasetS3Uri"]
    bucket, key = output.removeprefix("s3://").split("/", 1)
    lines = live.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
    assert len(lines) == 2 and all("label" not in json.loads(line) for line in lines)
    code, message = error_of(lambda: sm.stop_labeling_job(LabelingJobName=name))
    assert code == "ValidationException" and "already ended (Stopped)" in message


def test_list_filters_sorts_and_pages(live: Live) -> None:
    sm = live.client()
    workers = team(live)
    prefix = unique("list")
    names = [f"{prefix}-{letter}" for letter in "cabed"]
    for name in names:
        sm.create_labeling_job(**job_request(live, workers, name=name, objects=1))
    wait_for(live, names[-1], "InProgress")
    sm.stop_labeling_job(LabelingJobName=names[1])

    pages = []
    params: dict[str, Any] = {"NameContains": prefix.upper(), "MaxResults": 2}
    while True:
        got = sm.list_labeling_jobs(**params)
        pages.append([j["LabelingJobName"] for j in got["LabelingJobSummaryList"]])
        if "NextToken" not in got:
            break
        params["NextToken"] = got["NextToken"]
    assert pages == [names[0:2], names[2:4], names[4:5]]

    paginator = sm.get_paginator("list_labeling_jobs")
    by_name = [
        j["LabelingJobName"]
        for p in paginator.paginate(
            NameContains=prefix,
            SortBy="Name",
            SortOrder="Descending",
            PaginationConfig={"PageSize": 3},
        )
        for j in p["LabelingJobSummaryList"]
    ]
    assert by_name == sorted(names, reverse=True)

    summaries = sm.list_labeling_jobs(NameContains=prefix, SortBy="Status")[
        "LabelingJobSummaryList"
    ]
    statuses = [j["LabelingJobStatus"] for j in summaries]
    assert statuses == sorted(statuses) and "InProgress" in statuses
    summary = summaries[0]
    assert summary["WorkteamArn"].endswith(f"/private-crowd/{workers}")
    assert summary["PreHumanTaskLambdaArn"] == PRE and "InputConfig" in summary

    stopping = sm.list_labeling_jobs(NameContains=prefix, StatusEquals="InProgress")
    assert names[1] not in [j["LabelingJobName"] for j in stopping["LabelingJobSummaryList"]]

    # Between the third and fourth job's creation (timestamps travel as float seconds).
    third, fourth = (
        sm.describe_labeling_job(LabelingJobName=name)["CreationTime"] for name in names[2:4]
    )
    between = third + (fourth - third) / 2
    later = sm.list_labeling_jobs(NameContains=prefix, CreationTimeAfter=between)
    assert [j["LabelingJobName"] for j in later["LabelingJobSummaryList"]] == names[3:]
    earlier = sm.list_labeling_jobs(NameContains=prefix, CreationTimeBefore=between)
    hour = timedelta(hours=1)
    windows = [
        ({"LastModifiedTimeAfter": third - hour, "LastModifiedTimeBefore": third + hour}, 5),
        ({"LastModifiedTimeAfter": third + hour}, 0),
    ]
    for window, count in windows:
        got = sm.list_labeling_jobs(NameContains=prefix, **window)["LabelingJobSummaryList"]
        assert len(got) == count
    assert [j["LabelingJobName"] for j in earlier["LabelingJobSummaryList"]] == names[:3]


def test_bad_page_tokens_are_refused(live: Live) -> None:
    sm = live.client()
    workers = team(live)
    prefix = unique("tok")
    for letter in "ab":
        sm.create_labeling_job(**job_request(live, workers, name=f"{prefix}-{letter}", objects=1))
    token = sm.list_labeling_jobs(NameContains=prefix, MaxResults=1)["NextToken"]
    assert error_of(lambda: sm.list_labeling_jobs(NextToken=token[:-2] + "zz")) == (
        "ValidationException",
        "NextToken: invalid pagination token",
    )
    code, message = error_of(lambda: sm.list_labeling_jobs(NextToken=token, SortBy="Name"))
    assert code == "ValidationException" and "belongs to a request with other" in message
    assert (
        error_of(lambda: sm.list_labeling_jobs(MaxResults=101))[1]
        == "1 validation error detected: MaxResults must be at most 100, got 101"
    )


def test_list_jobs_for_a_work_team(live: Live) -> None:
    sm = live.client()
    workers = team(live)
    names = [unique("wt") for _ in range(3)]
    for name in names:
        sm.create_labeling_job(**job_request(live, workers, name=name, objects=2))
    wait_for(live, names[-1], "InProgress")
    arn = live.team_arn(workers, account="999999999999")  # any account: matched by name
    got = sm.list_labeling_jobs_for_workteam(WorkteamArn=arn, MaxResults=2, SortOrder="Descending")
    first = got["LabelingJobSummaryList"]
    assert [j["LabelingJobName"] for j in first] == names[::-1][:2]
    rest = sm.list_labeling_jobs_for_workteam(
        WorkteamArn=arn, MaxResults=2, SortOrder="Descending", NextToken=got["NextToken"]
    )
    assert [j["LabelingJobName"] for j in rest["LabelingJobSummaryList"]] == names[:1]
    assert "NextToken" not in rest
    assert first[0]["WorkRequesterAccountId"] == "000000000000"
    assert first[0]["LabelCounters"] == {"HumanLabeled": 0, "PendingHuman": 2, "Total": 2}
    code = jobs.describe_job(live.dep, names[0]).reference_code
    only = sm.list_labeling_jobs_for_workteam(WorkteamArn=arn, JobReferenceCodeContains=code)
    assert [j["LabelingJobName"] for j in only["LabelingJobSummaryList"]] == names[:1]
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.list_labeling_jobs_for_workteam(WorkteamArn=live.team_arn("no-such-team"))


def test_adaptive_workers_come_as_truthset_tags(live: Live) -> None:
    """truthset's extension of CreateLabelingJob: two tags ask for adaptive workers per
    object; NumberOfHumanWorkersPerDataObject is the maximum."""
    sm = live.client()
    request = job_request(live, team(live))
    request["HumanTaskConfig"]["NumberOfHumanWorkersPerDataObject"] = 5
    request["Tags"] = [
        {"Key": "truthset:min-workers-per-object", "Value": "2"},
        {"Key": "truthset:target-confidence", "Value": "0.97"},
    ]
    sm.create_labeling_job(**request)
    info = jobs.describe_job(live.dep, request["LabelingJobName"])
    assert info.options["adaptive"] == {"min_workers_per_object": 2, "target_confidence": 0.97}
    assert info.workers_per_object == 5
    bad = job_request(live, team(live))
    bad["Tags"] = [{"Key": "truthset:min-workers-per-object", "Value": "two"}]
    code, message = error_of(lambda: sm.create_labeling_job(**bad))
    assert code == "ValidationException" and "must be a whole number" in message
