"""The seed walkthrough driven by boto3 alone: images and a manifest uploaded to S3, a work team
and a labeling job created with the `sagemaker` client, workers answering through the REST
worker API, and the output manifest downloaded from S3 and checked line by line."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.sagemaker.conftest import ACS, PRE, ROLE, Live, live_server
from tests.support.factories import PASSWORD
from truthset import workforce

VIEWS = ["Right-CC", "Left-CC", "Right-MLO", "Left-MLO", "Not a mammography"]
# A Ground Truth template as users keep them in S3: AWS's script tag and grant_read_access.
TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-image-classifier name="crowd-image-classifier"
      src="{{ task.input.taskObject | grant_read_access }}"
      header="Which view is this?" categories="{{ task.input.labels | to_json | escape }}">
  </crowd-image-classifier>
</crowd-form>"""
# What three workers answer per image: image 0 unanimously, 1 by majority, 2 split.
ANSWERS = [
    ["Left-CC", "Left-CC", "Left-CC"],
    ["Right-MLO", "Right-MLO", "Left-MLO"],
    ["Right-CC", "Left-MLO", "Not a mammography"],
]


@pytest.fixture
def walk(database_url: str, s3_endpoint: str, tmp_path: Path) -> Iterator[Live]:
    with live_server(database_url, tmp_path / "data", s3_endpoint) as env:
        yield env


def png(index: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (index * 60, 80, 160)).save(out, format="PNG")
    return out.getvalue()


def wait_for(live: Live, name: str, statuses: tuple[str, ...]) -> dict[str, Any]:
    sm = live.client()
    deadline = time.monotonic() + 60
    while True:
        job = sm.describe_labeling_job(LabelingJobName=name)
        if job["LabelingJobStatus"] in statuses:
            return dict(job)
        assert time.monotonic() < deadline, f"{name} stayed {job['LabelingJobStatus']}"
        time.sleep(0.1)


def label_everything(live: Live, tokens: list[str], job: str) -> None:
    """Each worker takes tasks until none is left; the answer depends on image and worker."""
    for worker, token in enumerate(tokens):
        with httpx.Client(
            base_url=live.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client:
            while True:
                response = client.post(f"/api/v1/worker/jobs/{job}/next-task")
                if response.status_code == 204:
                    break
                assert response.status_code == 200, response.text
                task = response.json()
                image = int(task["data_object_id"])
                media = client.get(task["input"]["taskObject"])
                assert media.status_code == 200 and media.content == png(image)
                answer = {"crowd-image-classifier": {"label": ANSWERS[image][worker]}}
                done = client.post(
                    f"/api/v1/worker/tasks/{task['task_id']}/answer", json={"answer": answer}
                )
                assert done.status_code == 204, done.text


def test_walkthrough_with_boto3(walk: Live) -> None:
    bucket = walk.bucket
    for index in range(len(ANSWERS)):
        walk.put(f"mammo/images/{index:04d}.png", png(index))
    lines = [
        {"source-ref": f"s3://{bucket}/mammo/images/{i:04d}.png", "patient": f"p{i}"}
        for i in range(len(ANSWERS))
    ]
    manifest = walk.put("mammo/input.manifest", "".join(json.dumps(x) + "\n" for x in lines))
    labels = walk.put(
        "mammo/class_labels.json",
        json.dumps({"document-version": "2018-11-28", "labels": [{"label": v} for v in VIEWS]}),
    )
    template = walk.put("mammo/instructions.template", TEMPLATE)

    # Workers exist in truthset (Ground Truth's Cognito pool); the work team takes them in by
    # naming their group.
    workforce.create_team(walk.dep, "reading-room", "everyone who reads mammograms")
    emails = [f"dr{i}@hospital.example" for i in range(3)]
    workers = workforce.create_workers(walk.dep, emails, "reading-room", PASSWORD)
    sm = walk.client()
    team_arn = sm.create_workteam(
        WorkteamName="radiologists",
        Description="Breast imaging",
        MemberDefinitions=[
            {
                "CognitoMemberDefinition": {
                    "UserPool": "us-east-1_abcDEF123",
                    "UserGroup": "reading-room",
                    "ClientId": "client",
                }
            }
        ],
    )["WorkteamArn"]
    assert (
        team_arn == "arn:aws:sagemaker:us-east-1:000000000000:workteam/private-crowd/radiologists"
    )
    _, members = workforce.get_team(walk.dep, "radiologists")
    assert [m.email for m in members] == emails

    created = sm.create_labeling_job(
        LabelingJobName="mammo-views",
        LabelAttributeName="mammo-views",
        InputConfig={
            "DataSource": {"S3DataSource": {"ManifestS3Uri": manifest}},
            "DataAttributes": {"ContentClassifiers": ["FreeOfPersonallyIdentifiableInformation"]},
        },
        OutputConfig={"S3OutputPath": f"s3://{bucket}/mammo/output/"},
        RoleArn=ROLE,
        LabelCategoryConfigS3Uri=labels,
        StoppingConditions={"MaxPercentageOfInputDatasetLabeled": 100},
        HumanTaskConfig={
            "WorkteamArn": team_arn,
            "UiConfig": {"UiTemplateS3Uri": template},
            "PreHumanTaskLambdaArn": PRE,
            "TaskKeywords": ["image", "mammography"],
            "TaskTitle": "Which mammography view is this?",
            "TaskDescription": "Choose the view shown in the image",
            "NumberOfHumanWorkersPerDataObject": 3,
            "TaskTimeLimitInSeconds": 300,
            "TaskAvailabilityLifetimeInSeconds": 21600,
            "MaxConcurrentTaskCount": 100,
            "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": ACS},
        },
        Tags=[{"Key": "project", "Value": "mammo"}],
    )
    assert created["LabelingJobArn"].endswith(":labeling-job/mammo-views")
    wait_for(walk, "mammo-views", ("InProgress",))

    tokens = [workforce.issue_token(walk.dep, user.id, "api") for user, _ in workers]
    label_everything(walk, tokens, "mammo-views")
    job = wait_for(walk, "mammo-views", ("Completed",))
    assert job["LabelCounters"] == {
        "TotalLabeled": 3,
        "HumanLabeled": 3,
        "MachineLabeled": 0,
        "FailedNonRetryableError": 0,
        "Unlabeled": 0,
    }
    assert job["Tags"] == [{"Key": "project", "Value": "mammo"}]
    output_uri = job["LabelingJobOutput"]["OutputDatasetS3Uri"]
    assert output_uri == (
        f"s3://{bucket}/mammo/output/mammo-views/manifests/output/output.manifest"
    )

    for_team = sm.list_labeling_jobs_for_workteam(WorkteamArn=team_arn)["LabelingJobSummaryList"]
    assert [(j["LabelingJobName"], j["LabelCounters"]) for j in for_team] == [
        ("mammo-views", {"HumanLabeled": 3, "PendingHuman": 0, "Total": 3})
    ]

    key = output_uri.removeprefix(f"s3://{bucket}/")
    output = walk.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
    assert len(output) == 3
    expected = ["Left-CC", "Right-MLO", None]  # the split image is labeled, with low confidence
    for index, text in enumerate(output):
        line = json.loads(text)
        meta = line["mammo-views-metadata"]
        assert line["source-ref"] == lines[index]["source-ref"]
        assert line["patient"] == f"p{index}"
        assert line["mammo-views"] == VIEWS.index(meta["class-name"])
        assert meta["type"] == "groundtruth/image-classification"
        assert meta["job-name"] == "labeling-job/mammo-views"
        assert meta["human-annotated"] == "yes"
        assert 0 <= meta["confidence"] <= 1
        if expected[index] is not None:
            assert meta["class-name"] == expected[index]
        else:
            assert meta["class-name"] in ANSWERS[index]
    unanimous = json.loads(output[0])["mammo-views-metadata"]["confidence"]
    split = json.loads(output[2])["mammo-views-metadata"]["confidence"]
    assert unanimous > split

    listed = walk.s3.list_objects_v2(Bucket=bucket, Prefix="mammo/output/mammo-views/")
    keys = {item["Key"].removeprefix("mammo/output/mammo-views/") for item in listed["Contents"]}
    assert {"annotation-tool/data.json", "annotation-tool/template.liquid"} <= keys
    responses = [k for k in keys if k.startswith("annotations/worker-response/iteration-1/")]
    assert sorted({k.split("/")[3] for k in responses}) == ["0", "1", "2"]
    stored = walk.s3.get_object(
        Bucket=bucket, Key="mammo/output/mammo-views/annotation-tool/template.liquid"
    )
    assert stored["Body"].read().decode() == TEMPLATE
