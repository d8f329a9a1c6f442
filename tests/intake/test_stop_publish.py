"""Output lines of objects labeled before a streaming job stopped still go out after it reached
Stopped: from the outbox, with bounded retries and back-off, each line once (also across a
runner restart); a line that fails every attempt is recorded, not retried forever. Real boto3
against a moto server on 127.0.0.1, and a real webhook receiver on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import boto3
import pytest
from fastapi.testclient import TestClient

from tests.intake.test_streaming_api import _add, _create, _label_all
from tests.storage.s3_server import CREDENTIALS, moto_server
from tests.support.factories import make_admin, make_team
from tests.support.live import free_port
from tests.web.test_api_flow import login
from truthset import jobs
from truthset.background.runner import Runner
from truthset.clock import ManualClock
from truthset.deployment import Deployment, open_deployment
from truthset.intake import publish
from truthset.notifications.delivery import ATTEMPTS, backoff
from truthset.settings import Settings

SOURCES = ["one", "two", "three", "four", "five"]


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # an unreachable SNS fails at once
    return moto_endpoint


def _boto(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1")  # type: ignore[call-overload]


def _reader(topic: str) -> str:
    """An SQS queue subscribed to the output topic (raw delivery: the body is the line)."""
    sqs = _boto("sqs")
    url = sqs.create_queue(QueueName=f"reader-{free_port()}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    _boto("sns").subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    return str(url)


def _drain(url: str) -> list[dict[str, Any]]:
    """Every message in the queue now (moto delivers SNS to SQS synchronously)."""
    sqs = _boto("sqs")
    lines: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            lines.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return lines


def _labeled_then_stopped(client: TestClient, dep: Deployment, stream: dict[str, str]) -> None:
    """Five objects labeled, then the job stopped before any runner pass sent their lines."""
    make_admin(dep)
    admin = login(client, "admin@example.org")
    [worker] = make_team(dep, workers=1)
    _create(client, dep, admin, options={"streaming": stream})
    assert _add(client, admin, [{"source": s} for s in SOURCES]).json()["added"] == 5
    assert _label_all(dep, worker) == 5
    assert client.post("/api/v1/jobs/reviews/stop", headers=admin).status_code == 200


def test_lines_labeled_before_the_stop_reach_the_topic_once_after_it(
    client: TestClient,
    dep: Deployment,
    settings: Settings,
    clock: ManualClock,
    aws: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topic = _boto("sns").create_topic(Name=f"out-{free_port()}")["TopicArn"]
    reader = _reader(topic)
    _labeled_then_stopped(client, dep, {"output_topic": topic})

    # The stopping pass finds SNS unreachable: the job stops anyway, its lines wait.
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", f"http://127.0.0.1:{free_port()}")
    Runner(dep).run_once()
    assert jobs.describe_job(dep, "reviews").status == "Stopped"
    assert _drain(reader) == []
    monkeypatch.delenv("AWS_ENDPOINT_URL_SNS")

    # A restarted runner (a new deployment on the same database) sends them after the back-off.
    restarted = open_deployment(settings, clock=clock, migrate=False)
    try:
        Runner(restarted).run_once()
        assert _drain(reader) == []  # not due yet
        clock.advance(backoff(1))
        Runner(restarted).run_once()
        lines = _drain(reader)
        assert sorted(line["source"] for line in lines) == sorted(SOURCES)
        assert all(line["reviews-metadata"]["class-name"] == "positive" for line in lines)
        for _ in range(3):
            clock.advance(backoff(ATTEMPTS))
            Runner(restarted).run_once()
            Runner(dep).run_once()
        assert _drain(reader) == []  # each line exactly once
    finally:
        restarted.db.dispose()
    assert publish.undelivered(dep, jobs.describe_job(dep, "reviews").id) == (0, [])


def test_a_line_the_topic_never_takes_is_recorded_after_the_attempts(
    client: TestClient, dep: Deployment, clock: ManualClock, aws: str
) -> None:
    missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic"
    _labeled_then_stopped(client, dep, {"output_topic": missing})
    runner = Runner(dep)
    runner.run_once()
    assert jobs.describe_job(dep, "reviews").status == "Stopped"
    job_id = jobs.describe_job(dep, "reviews").id
    for attempt in range(1, ATTEMPTS):
        assert publish.undelivered(dep, job_id)[0] == 0
        clock.advance(backoff(attempt))
        runner.run_once()
    count, lines = publish.undelivered(dep, job_id)
    assert count == 5
    assert {line.object_id for line in lines} == set(range(5))
    assert all(line.attempts == ATTEMPTS and "no-such-topic" in line.reason for line in lines)
    clock.advance(backoff(ATTEMPTS) * 2)
    runner.run_once()
    assert publish.undelivered(dep, job_id)[1][0].attempts == ATTEMPTS  # not tried again

    admin = login(client, "admin@example.org")
    client.cookies.clear()
    described = client.get("/api/v1/jobs/reviews", headers=admin).json()
    assert described["undelivered_output_lines"] == 5
    page = client.get("/console/jobs/reviews", headers=admin)
    assert page.status_code == 200, page.text
    assert "5 output lines not delivered" in page.text


class FlakyReceiver(BaseHTTPRequestHandler):
    """Refuses the first `refuse` requests (503), then takes every line (204)."""

    received: ClassVar[list[tuple[dict[str, Any], dict[str, str]]]] = []
    refuse: ClassVar[int] = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if FlakyReceiver.refuse > 0:
            FlakyReceiver.refuse -= 1
            self.send_response(503)
        else:
            FlakyReceiver.received.append((json.loads(body), dict(self.headers)))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def flaky() -> Iterator[str]:
    FlakyReceiver.received = []
    FlakyReceiver.refuse = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyReceiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/labels?token=hidden"
    server.shutdown()
    server.server_close()


def test_a_webhook_failing_its_first_attempts_gets_each_line_once_after_the_stop(
    client: TestClient, dep: Deployment, clock: ManualClock, flaky: str
) -> None:
    FlakyReceiver.refuse = 3
    _labeled_then_stopped(client, dep, {"webhook": flaky})
    runner = Runner(dep)
    runner.run_once()  # the stopping pass: refused
    assert jobs.describe_job(dep, "reviews").status == "Stopped"
    for attempt in (1, 2):  # refused twice more, each after its back-off
        runner.run_once()
        assert FlakyReceiver.received == []  # not due before the back-off
        clock.advance(backoff(attempt))
        runner.run_once()
    assert FlakyReceiver.received == []
    clock.advance(backoff(3))
    runner.run_once()
    clock.advance(backoff(ATTEMPTS))
    runner.run_once()
    sources = [line["source"] for line, _ in FlakyReceiver.received]
    assert sorted(sources) == sorted(SOURCES)  # each once
    deliveries = {headers["X-Truthset-Delivery"] for _, headers in FlakyReceiver.received}
    assert len(deliveries) == 5
    assert publish.undelivered(dep, jobs.describe_job(dep, "reviews").id) == (0, [])


def test_a_webhook_that_always_refuses_is_given_up_on_and_recorded(
    client: TestClient, dep: Deployment, clock: ManualClock, flaky: str
) -> None:
    FlakyReceiver.refuse = 10**6
    _labeled_then_stopped(client, dep, {"webhook": flaky})
    runner = Runner(dep)
    runner.run_once()
    for attempt in range(1, ATTEMPTS + 2):
        clock.advance(backoff(attempt))
        runner.run_once()
    refused = 10**6 - FlakyReceiver.refuse
    assert refused == ATTEMPTS  # one request per attempt: the rest of a batch waits with it
    count, lines = publish.undelivered(dep, jobs.describe_job(dep, "reviews").id)
    assert count == 5
    assert lines[0].destination == "webhook"
    assert lines[0].reason == "webhook at 127.0.0.1 answered HTTP 503"  # no path, no token
