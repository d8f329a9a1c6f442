"""A streaming labeling job through the real AWS path: CreateLabelingJob with SnsDataSource
(boto3 against truthset), its queue GroundTruth-<name> subscribed to the input topic on a moto
server, objects from SNS publishes and from an S3 upload notification, labeled by workers, the
output read back from a queue subscribed to the output topic and from the output manifest."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from tests.sagemaker.conftest import Live, unique
from tests.sagemaker.job_requests import job_request, team
from tests.sagemaker.test_labeling_jobs import wait_for
from tests.storage.s3_server import CREDENTIALS
from truthset import dispatch, jobs, workforce
from truthset.failures import failed_objects
from truthset.workforce import UserInfo

ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture
def aws(live: Live, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """boto3's standard endpoint configuration, pointed at the moto server, for truthset's
    runner (in this process) and for the test's own clients."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"])
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    yield s3_endpoint


def _client(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1")  # type: ignore[call-overload]


def _eventually(check: Callable[[], Any], what: str, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while not (value := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.1)
    return value


def _workers(live: Live, team_name: str, count: int) -> list[UserInfo]:
    emails = [f"{unique('w')}@example.org" for _ in range(count)]
    return [u for u, _ in workforce.create_workers(live.dep, emails, team_name, "pw-correct-1")]


def _label_what_is_there(live: Live, name: str, worker: UserInfo, want: int) -> list[int]:
    labeled: list[int] = []

    def more() -> bool:
        while (task := dispatch.next_task(live.dep, worker, name)) is not None:
            answer = {"crowd-image-classifier": {"label": "cat"}}
            dispatch.submit_answer(live.dep, worker, task.task_id, answer)
            labeled.append(task.object_id)
        return len(labeled) >= want

    _eventually(more, f"{want} objects to label")
    return labeled


def _output_reader(topic: str) -> str:
    sqs, sns = _client("sqs"), _client("sns")
    url = sqs.create_queue(QueueName=unique("out-reader"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    return str(url)


def _read_lines(url: str, want: int) -> list[dict[str, Any]]:
    sqs = _client("sqs")
    lines: list[dict[str, Any]] = []

    def more() -> bool:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            lines.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(lines) >= want

    _eventually(more, f"{want} output lines on the output topic")
    return lines


def _streaming_request(live: Live, team_name: str, topic_in: str, topic_out: str) -> dict[str, Any]:
    request = job_request(live, team_name, objects=1)  # one object in a starting manifest
    request["InputConfig"]["DataSource"]["SnsDataSource"] = {"SnsTopicArn": topic_in}
    request["OutputConfig"]["SnsTopicArn"] = topic_out
    request["StoppingConditions"] = {"MaxHumanLabeledObjectCount": 1}  # ignored when streaming
    return request


def test_sns_and_s3_events_stream_into_a_job_and_out_again(live: Live, aws: str) -> None:
    sns, sqs, s3 = _client("sns"), _client("sqs"), _client("s3")
    topic_in = sns.create_topic(Name=unique("in"))["TopicArn"]
    topic_out = sns.create_topic(Name=unique("out"))["TopicArn"]
    reader = _output_reader(topic_out)
    team_name = team(live)
    [worker] = _workers(live, team_name, 1)
    request = _streaming_request(live, team_name, topic_in, topic_out)
    name = request["LabelingJobName"]
    live.client().create_labeling_job(**request)
    described = wait_for(live, name, "InProgress")
    assert described["InputConfig"]["DataSource"]["SnsDataSource"] == {"SnsTopicArn": topic_in}
    queue = sqs.get_queue_url(QueueName=f"GroundTruth-{name.lower()}")["QueueUrl"]

    # S3 -> SNS notifications, configured while the job runs: S3 sends s3:TestEvent first.
    s3.put_bucket_notification_configuration(
        Bucket=live.bucket,
        NotificationConfiguration={
            "TopicConfigurations": [
                {
                    "TopicArn": topic_in,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "incoming/"}]}},
                }
            ]
        },
    )
    published = live.put(f"{unique('d')}/a.png", b"png")
    sns.publish(TopicArn=topic_in, Message=json.dumps({"source-ref": published}))
    keyed = {"source-ref": published, "dataset-objectid-attribute-name": "photo", "photo": "p-1"}
    sns.publish(TopicArn=topic_in, Message=json.dumps(keyed))
    sns.publish(TopicArn=topic_in, Message=json.dumps(keyed))  # the same photo id again
    # SNS delivers at least once: the same notification twice is one object.
    plain = json.dumps({"source-ref": published})
    envelope = {"Type": "Notification", "MessageId": "m-1", "Message": plain}
    for _ in range(2):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(envelope))
    uploaded = live.put("incoming/cat photo.png", b"png")

    labeled = _label_what_is_there(live, name, worker, 5)
    assert sorted(labeled) == [0, 1, 2, 3, 4]
    lines = _read_lines(reader, 5)
    sources = sorted(line["source-ref"] for line in lines)
    assert sources == sorted(
        [request_manifest_source(live, request), published, published, published, uploaded]
    )
    assert all(line["label-metadata"]["class-name"] == "cat" for line in lines)
    by_default_id = [line for line in lines if "label-object-id" in line]
    # The plain publishes and the S3 event carry Ground Truth's id (message id, URI+sequencer).
    assert len(by_default_id) == 3 and "m-1" in {line["label-object-id"] for line in by_default_id}
    assert all(
        line["dataset-objectid-attribute-name"] == "label-object-id" for line in by_default_id
    )

    time.sleep(1)  # a few more runner passes: nothing else arrives (no test event, no repeat)
    info = jobs.describe_job(live.dep, name)
    assert info.status == "InProgress" and info.counters.human_labeled == 5  # no stopping rule
    assert info.object_count == 5 and info.counters.unlabeled == 0
    sm = live.client()
    sm.stop_labeling_job(LabelingJobName=name)
    done = wait_for(live, name, "Stopped")
    manifest_uri = done["LabelingJobOutput"]["OutputDatasetS3Uri"]
    bucket, key = manifest_uri[len("s3://") :].split("/", 1)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    assert sorted(json.loads(text)["source-ref"] for text in body.splitlines()) == sources
    assert _client("sqs").get_queue_url(QueueName=f"GroundTruth-{name.lower()}")  # kept


def request_manifest_source(live: Live, request: dict[str, Any]) -> str:
    uri = request["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"]
    bucket, key = uri[len("s3://") :].split("/", 1)
    text = live.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return str(json.loads(text.splitlines()[0])["source-ref"])


def test_a_streaming_job_may_start_without_a_manifest(live: Live, aws: str) -> None:
    sns = _client("sns")
    topic_in = sns.create_topic(Name=unique("in"))["TopicArn"]
    team_name = team(live)
    request = job_request(live, team_name)
    request["InputConfig"]["DataSource"] = {"SnsDataSource": {"SnsTopicArn": topic_in}}
    live.client().create_labeling_job(**request)
    described = wait_for(live, request["LabelingJobName"], "InProgress")
    assert described["LabelCounters"]["Unlabeled"] == 0
    assert described["InputConfig"]["DataSource"] == {"SnsDataSource": {"SnsTopicArn": topic_in}}


AL_SPEC = (
    "arn:aws:sagemaker:us-east-1:027400017018:labeling-job-algorithm-specification/"
    "image-classification"
)


def _chained_request(
    live: Live, team_name: str, earlier: dict[str, Any], attribute: str
) -> dict[str, Any]:
    request = job_request(live, team_name)
    manifest = earlier["LabelingJobOutput"]["OutputDatasetS3Uri"]
    request["InputConfig"]["DataSource"] = {"S3DataSource": {"ManifestS3Uri": manifest}}
    request["LabelAttributeName"] = attribute
    return request


def test_a_job_over_an_output_manifest_sends_only_unlabeled_objects(live: Live) -> None:
    sm = live.client()
    team_name = team(live)
    [worker] = _workers(live, team_name, 1)
    first = job_request(live, team_name, objects=3)
    sm.create_labeling_job(**first)
    wait_for(live, first["LabelingJobName"], "InProgress")
    _label_what_is_there_once(live, first["LabelingJobName"], worker)
    sm.stop_labeling_job(LabelingJobName=first["LabelingJobName"])
    ended = wait_for(live, first["LabelingJobName"], "Stopped")

    same = _chained_request(live, team_name, ended, "label")
    sm.create_labeling_job(**same)
    described = wait_for(live, same["LabelingJobName"], "InProgress")
    assert described["LabelCounters"]["Unlabeled"] == 2
    other = _chained_request(live, team_name, ended, "second-opinion")
    sm.create_labeling_job(**other)
    assert wait_for(live, other["LabelingJobName"], "InProgress")["LabelCounters"]["Unlabeled"] == 3

    # Automated labeling over the output of an automated-labeling job warm-starts from it.
    learner = job_request(live, team_name, objects=3)
    learner["LabelingJobAlgorithmsConfig"] = {"LabelingJobAlgorithmSpecificationArn": AL_SPEC}
    sm.create_labeling_job(**learner)
    wait_for(live, learner["LabelingJobName"], "InProgress")
    sm.stop_labeling_job(LabelingJobName=learner["LabelingJobName"])
    learned = wait_for(live, learner["LabelingJobName"], "Stopped")
    again = _chained_request(live, team_name, learned, "label")
    again["LabelingJobAlgorithmsConfig"] = {"LabelingJobAlgorithmSpecificationArn": AL_SPEC}
    sm.create_labeling_job(**again)
    options = jobs.describe_job(live.dep, again["LabelingJobName"]).options
    assert options["auto_label"]["initial_model_job"] == learner["LabelingJobName"]


def _label_what_is_there_once(live: Live, name: str, worker: UserInfo) -> None:
    task = _eventually(lambda: dispatch.next_task(live.dep, worker, name), "a task")
    dispatch.submit_answer(
        live.dep, worker, task.task_id, {"crowd-image-classifier": {"label": "cat"}}
    )


def _s3_event(bucket: str, *keys: str) -> str:
    records = [
        {
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": bucket}, "object": {"key": key, "sequencer": f"0{n}"}},
        }
        for n, key in enumerate(keys)
    ]
    return json.dumps({"Records": records})


def _queue_drained(url: str) -> bool:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    counts = _client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)
    return all(int(counts["Attributes"][name]) == 0 for name in names)


def test_refused_messages_count_as_failed_and_leave_the_queue(live: Live, aws: str) -> None:
    """Whatever the intake refuses (not JSON, no source-ref, a file outside the data roots, an
    S3 event for a folder) is counted in FailedNonRetryableError with its reason in
    failures.jsonl, is left out of the output manifest, and leaves the queue; a refused
    notification that SNS delivered twice is counted once."""
    sns, sqs = _client("sns"), _client("sqs")
    topic_in = sns.create_topic(Name=unique("in"))["TopicArn"]
    request = job_request(live, team(live))
    request["InputConfig"]["DataSource"] = {"SnsDataSource": {"SnsTopicArn": topic_in}}
    name = request["LabelingJobName"]
    live.client().create_labeling_job(**request)
    wait_for(live, name, "InProgress")
    queue = sqs.get_queue_url(QueueName=f"GroundTruth-{name.lower()}")["QueueUrl"]

    good = live.put(f"{unique('d')}/a.png", b"png")
    sns.publish(TopicArn=topic_in, Message=json.dumps({"source-ref": good}))
    sns.publish(TopicArn=topic_in, Message="this is not JSON")
    sns.publish(TopicArn=topic_in, Message=json.dumps({"text": "no source-ref here"}))
    sns.publish(TopicArn=topic_in, Message=json.dumps({"source-ref": "file:///etc/passwd"}))
    # One S3 event with a new image and a "folder" (what the S3 console's Create folder makes).
    event = _s3_event(live.bucket, "incoming/b.png", "incoming/new%2Ffolder/")
    sqs.send_message(QueueUrl=queue, MessageBody=event)
    sqs.send_message(QueueUrl=queue, MessageBody="{not json")
    envelope = {"Type": "Notification", "MessageId": "twice-1", "Message": "[1, 2]"}
    for _ in range(2):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(envelope))

    def counted() -> dict[str, int] | None:
        found = live.client().describe_labeling_job(LabelingJobName=name)["LabelCounters"]
        return dict(found) if found["FailedNonRetryableError"] >= 6 else None

    counters = _eventually(counted, "six refused messages counted")
    _eventually(lambda: _queue_drained(queue), "the queue emptied")
    time.sleep(1)  # more runner passes: nothing comes back, nothing is counted twice
    counters = live.client().describe_labeling_job(LabelingJobName=name)["LabelCounters"]
    assert counters["FailedNonRetryableError"] == 6 and counters["Unlabeled"] == 2

    folder = f"{request['OutputConfig']['S3OutputPath'].rstrip('/')}/{name}/manifests/output"
    bucket, prefix = folder.removeprefix("s3://").split("/", 1)

    def failures() -> list[dict[str, Any]] | None:
        try:
            body = live.s3.get_object(Bucket=bucket, Key=f"{prefix}/failures.jsonl")["Body"]
        except live.s3.exceptions.NoSuchKey:
            return None
        lines = [json.loads(text) for text in body.read().decode().splitlines()]
        return lines if len(lines) == 6 else None

    reasons = sorted(line["failureReason"] for line in _eventually(failures, "failures.jsonl"))
    # The console's and `job describe`'s list of failures gives the same reasons.
    listed = failed_objects(live.dep, jobs.describe_job(live.dep, name).id)
    assert sorted(failed.reason for failed in listed) == reasons
    assert {failed.step for failed in listed} == {"intake"}
    for words in (
        "the SNS message is not a JSON manifest line",
        "has no 'source-ref' attribute",
        "outside the allowed data roots",
        "names a folder, not an object",
        "the message is not JSON",
        "message twice-1 refused",
    ):
        assert any(words in reason for reason in reasons), (words, reasons)

    live.client().stop_labeling_job(LabelingJobName=name)
    done = wait_for(live, name, "Stopped")
    bucket, key = done["LabelingJobOutput"]["OutputDatasetS3Uri"][len("s3://") :].split("/", 1)
    manifest = live.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    sources = sorted(json.loads(text)["source-ref"] for text in manifest.splitlines())
    assert sources == sorted([good, f"s3://{live.bucket}/incoming/b.png"])
