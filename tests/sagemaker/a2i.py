"""Shared pieces of the Augmented AI tests: boto3's sagemaker-a2i-runtime client against the
live server, a flow with its team and template, and workers answering over the REST API."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.exceptions
import httpx
import pytest

from tests.sagemaker.conftest import ROLE, Live, unique
from tests.storage.s3_server import NO_RETRIES
from tests.support.factories import PASSWORD
from truthset import workforce

# boto3-stubs has no sagemaker-a2i-runtime extra installed here; the client is untyped.
AugmentedAIRuntimeClient = Any

TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form><p>{{ task.input.text }}</p>
<crowd-radio-group><crowd-radio-button name="ok">OK</crowd-radio-button>
<crowd-radio-button name="wrong">Wrong</crowd-radio-button></crowd-radio-group></crowd-form>"""


def a2i(live: Live) -> AugmentedAIRuntimeClient:
    return boto3.client(  # type: ignore[no-any-return]
        "sagemaker-a2i-runtime",
        endpoint_url=live.url,
        region_name="us-east-1",
        aws_access_key_id=live.key.access_key_id,
        aws_secret_access_key=live.key.secret_access_key,
        config=NO_RETRIES,
    )


def failure(call: Callable[[], Any]) -> tuple[int, str, str]:
    """(HTTP status, error code, message) of a call that must fail."""
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def team_of(live: Live, size: int = 2) -> tuple[str, list[str]]:
    name = unique("reviewers")
    workforce.create_team(live.dep, name, "reviewers")
    emails = [f"{name}-{i}@example.org" for i in range(size)]
    workforce.create_workers(live.dep, emails, name, PASSWORD)
    return name, emails


def ui_arn(live: Live) -> str:
    name = unique("review-ui")
    sm = live.client()
    return sm.create_human_task_ui(HumanTaskUiName=name, UiTemplate={"Content": TEMPLATE})[
        "HumanTaskUiArn"
    ]


def flow_request(live: Live, team: str, **human: Any) -> dict[str, Any]:
    return {
        "FlowDefinitionName": unique("review"),
        "HumanLoopConfig": {
            "WorkteamArn": live.team_arn(team),
            "HumanTaskUiArn": ui_arn(live),
            "TaskTitle": "Check the prediction",
            "TaskDescription": "Is the model right?",
            "TaskCount": 2,
            "TaskTimeLimitInSeconds": 300,
            "TaskKeywords": ["review"],
            **human,
        },
        "OutputConfig": {"S3OutputPath": f"s3://{live.bucket}/{unique('a2i')}"},
        "RoleArn": ROLE,
    }


class Worker:
    """A worker using the REST API, as the portal does."""

    def __init__(self, live: Live, email: str) -> None:
        self.http = httpx.Client(base_url=live.url, timeout=30)
        token = self.http.post("/api/v1/login", json={"email": email, "password": PASSWORD})
        token.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {token.json()['token']}"

    def close(self) -> None:
        self.http.close()

    def next_task(self, flow: str) -> dict[str, Any] | None:
        response = self.http.post(f"/api/v1/worker/jobs/{flow}/next-task")
        if response.status_code == 204:
            return None
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def answer(self, task_id: int, answer: dict[str, Any]) -> int:
        response = self.http.post(f"/api/v1/worker/tasks/{task_id}/answer", json={"answer": answer})
        return response.status_code


@contextmanager
def signed_in(live: Live, emails: list[str]) -> Iterator[list[Worker]]:
    workers = [Worker(live, email) for email in emails]
    try:
        yield workers
    finally:
        for worker in workers:
            worker.close()


def wait_for_loop(client: AugmentedAIRuntimeClient, name: str, status: str) -> dict[str, Any]:
    """Polls DescribeHumanLoop until the background runner has moved the loop on."""
    deadline = time.monotonic() + 30
    while (loop := client.describe_human_loop(HumanLoopName=name))["HumanLoopStatus"] != status:
        assert time.monotonic() < deadline, loop["HumanLoopStatus"]
        time.sleep(0.05)
    return dict(loop)
