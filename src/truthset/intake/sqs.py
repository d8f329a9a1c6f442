"""Messages read from a streaming job's SQS queue: SNS notifications of manifest lines and of
S3 events, turned into objects."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import unquote_plus

from truthset.deployment import Deployment
from truthset.errors import Invalid, TruthsetError
from truthset.intake.objects import Arrival, line_checker, store
from truthset.intake.queues import client

log = logging.getLogger(__name__)
RECEIVE_BATCHES = 50  # at most 500 messages per pass, so one busy job cannot hold the runner
ROUND = 10  # receives whose objects are stored in one transaction


def arrivals_of(body: str, message_id: str) -> list[Arrival]:
    """The objects one SQS message brings: an SNS notification of a manifest line, or of an S3
    event (each ObjectCreated record one source-ref object; the s3:TestEvent none)."""
    try:
        envelope = json.loads(body)
    except json.JSONDecodeError:
        raise Invalid("the message is not JSON") from None
    if isinstance(envelope, dict) and envelope.get("Type") == "Notification":
        message_id = str(envelope.get("MessageId", message_id))
        text = envelope.get("Message", "")
        try:
            message = json.loads(text)
        except (json.JSONDecodeError, TypeError):
            raise Invalid("the SNS message is not a JSON manifest line") from None
    else:
        message = envelope  # raw message delivery
    if not isinstance(message, dict):
        raise Invalid("the message must be a JSON object (one manifest line)")
    if message.get("Event") == "s3:TestEvent":
        return []
    if isinstance(message.get("Records"), list):
        return _s3_records(message["Records"])
    return [Arrival(message, message_id)]


def _s3_records(records: list[Any]) -> list[Arrival]:
    arrivals = []
    for record in records:
        if not isinstance(record, dict) or record.get("eventSource") != "aws:s3":
            continue
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        s3 = record.get("s3", {})
        # Keys arrive URL-encoded, spaces as '+'.
        key = unquote_plus(s3.get("object", {}).get("key", ""))
        uri = f"s3://{s3.get('bucket', {}).get('name', '')}/{key}"
        # Section 9.2: the default id of an S3 object is its URI and the event's sequencer.
        sequencer = s3.get("object", {}).get("sequencer", "")
        arrivals.append(Arrival({"source-ref": uri}, f"{uri}{sequencer}"))
    return arrivals


def poll(dep: Deployment, job: Any, queue_url: str, region: str) -> tuple[int, bool]:
    """Moves messages from the queue into the job, up to RECEIVE_BATCHES receives per pass.
    Each round's objects are stored in one transaction, and its messages deleted only after
    that commit. Returns the objects added and whether the queue looked empty."""
    sqs = client("sqs", region)
    check = line_checker(dep, job)
    added = 0
    for _ in range(RECEIVE_BATCHES // ROUND):
        messages: list[dict[str, Any]] = []
        empty = False
        for _ in range(ROUND):
            got = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                # Hidden while being stored; if this runner dies first the message comes back.
                VisibilityTimeout=dep.settings.stream_visibility_seconds,
            ).get("Messages", [])
            messages += got
            if not got:
                empty = True
                break
        arrivals: list[Arrival] = []
        for message in messages:
            arrivals += _checked(job, message, check)
        if arrivals:
            added += store(dep, job, arrivals).added
        for start in range(0, len(messages), 10):
            chunk = messages[start : start + 10]
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(chunk)
                ],
            )
        if empty:
            return added, True
    return added, False


def _checked(job: Any, message: dict[str, Any], check: Any) -> list[Arrival]:
    """The message's objects, each line checked as a manifest line; a bad message is logged
    and dropped (it would come back forever otherwise)."""
    try:
        arrivals = arrivals_of(message["Body"], message["MessageId"])
        return [Arrival(check(json.dumps(a.line), 1), a.default_id) for a in arrivals]
    except TruthsetError as error:
        log.warning(
            "job %s: SQS message %s is not an object: %s",
            job.name,
            message.get("MessageId"),
            error.message,
        )
        return []
