"""A streaming job's SQS queue, subscribed to its input topic.

Clients take boto3's standard configuration (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SQS, profiles,
credentials), so the same code talks to AWS or to a local server such as moto's.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from truthset.errors import Invalid
from truthset.intake.options import topic_region

# Ground Truth's queue keeps an object 14 days (section 9.2).
RETENTION_SECONDS = 1_209_600


def client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


def queue_name(job_name: str) -> str:
    # https://docs.aws.amazon.com/sagemaker/latest/dg/sms-streaming-labeling-job.html:
    # "GroundTruth-<labeling job name>", in lower case.
    return f"GroundTruth-{job_name.lower()}"


def ensure_queue(job_name: str, topic_arn: str) -> str:
    """Creates (or reuses) the job's queue and subscribes it to the input topic; returns its URL."""
    region = topic_region(topic_arn)
    try:
        sqs = client("sqs", region)
        try:
            url = sqs.get_queue_url(QueueName=queue_name(job_name))["QueueUrl"]
        except ClientError:
            url = sqs.create_queue(
                QueueName=queue_name(job_name),
                Attributes={"MessageRetentionPeriod": str(RETENTION_SECONDS)},
            )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": _policy(arn, topic_arn)})
        client("sns", region).subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    except (ClientError, BotoCoreError) as error:
        raise Invalid(
            f"SnsDataSource.SnsTopicArn: could not subscribe queue {queue_name(job_name)} to "
            f"{topic_arn}: {error}"
        ) from None
    return str(url)


def _policy(queue_arn: str, topic_arn: str) -> str:
    """Lets the input topic, and only it, send to the queue."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                }
            ],
        }
    )
