"""Messages read from a streaming job's SQS queue: SNS notifications of manifest lines and of
S3 events, turned into objects."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import unquote_plus

from truthset import output
from truthset.deployment import Deployment
from truthset.errors import Invalid, StorageError, TruthsetError
from truthset.intake.objects import Arrival, Refused, line_checker, store
from truthset.intake.queues import client

log = logging.getLogger(__name__)
RECEIVE_BATCHES = 50  # at most 500 messages per pass, so one busy job cannot hold the runner
ROUND = 10  # receives whose objects are stored in one transaction
# A message that is not a JSON object is kept in its failed object's line under this key, cut
# to KEPT_CHARS (SQS messages reach 256 KiB).
REFUSED_BODY = "refused-message-body"
KEPT_CHARS = 10_000


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
        bucket, key, sequencer = _s3_object(record)
        uri = f"s3://{bucket}/{key}"
        # Section 9.2: the default id of an S3 object is its URI and the event's sequencer.
        arrivals.append(Arrival({"source-ref": uri}, f"{uri}{sequencer}"))
    return arrivals


def _s3_object(record: dict[str, Any]) -> tuple[str, str, str]:
    """(bucket, key, sequencer) of an ObjectCreated record; Invalid when the record lacks them
    (a message of that shape is refused, not a reason for the queue to stall)."""
    s3 = record.get("s3")
    item = s3.get("object") if isinstance(s3, dict) else None
    bucket = s3.get("bucket") if isinstance(s3, dict) else None
    if not isinstance(item, dict) or not isinstance(bucket, dict):
        raise Invalid("an S3 event record has no s3.bucket and s3.object")
    name, key, sequencer = bucket.get("name"), item.get("key"), item.get("sequencer", "")
    if not isinstance(name, str) or not isinstance(key, str) or not isinstance(sequencer, str):
        raise Invalid("an S3 event record's bucket name, object key and sequencer must be text")
    # Keys arrive URL-encoded, spaces as '+'.
    return name, unquote_plus(key), sequencer


def poll(dep: Deployment, job: Any, queue_url: str, region: str) -> tuple[int, bool]:
    """Moves messages from the queue into the job, up to RECEIVE_BATCHES receives per pass.
    Each round's objects, and its refused messages as failed objects, are stored in one
    transaction, and its messages deleted only after that commit: a crash in between brings
    them back, and de-duplication keeps them from being stored twice. Returns the objects
    added and whether the queue looked empty."""
    sqs = client("sqs", region)
    check = line_checker(dep, job)
    added = refused = 0
    empty = False
    for _ in range(RECEIVE_BATCHES // ROUND):
        messages, empty = _receive(dep, sqs, queue_url)
        arrivals: list[Arrival] = []
        refusals: list[Refused] = []
        for message in messages:
            good, bad = _checked(job, message, check)
            arrivals += good
            refusals += bad
        if arrivals or refusals:
            stored = store(dep, job, arrivals, refusals)
            added += stored.added
            refused += stored.refused
        _delete(sqs, queue_url, messages)
        if empty:
            break
    if refused:
        _write_failures(dep, job)
    return added, empty


def _receive(dep: Deployment, sqs: Any, queue_url: str) -> tuple[list[dict[str, Any]], bool]:
    """Up to ROUND receives of ten; True when the queue ran dry."""
    messages: list[dict[str, Any]] = []
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
            return messages, True
    return messages, False


def _delete(sqs: Any, queue_url: str, messages: list[dict[str, Any]]) -> None:
    for start in range(0, len(messages), 10):
        chunk = messages[start : start + 10]
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(chunk)
            ],
        )


def _checked(job: Any, message: dict[str, Any], check: Any) -> tuple[list[Arrival], list[Refused]]:
    """The message's objects, each line checked as a manifest line, and what was refused with
    its reason (a refused message cannot stay in the queue: it would come back forever)."""
    body, message_id = message["Body"], message["MessageId"]
    try:
        found = arrivals_of(body, message_id)
    except Invalid as error:
        sent_id, text = _what_was_sent(body, message_id)
        return [], [_refusal(job, sent_id, {REFUSED_BODY: text[:KEPT_CHARS]}, error.message)]
    arrivals: list[Arrival] = []
    refused: list[Refused] = []
    for arrival in found:
        try:
            arrivals.append(Arrival(check(json.dumps(arrival.line), 1), arrival.default_id))
        except TruthsetError as error:
            # The checker names "line 1" of a one-line manifest; the message id says more.
            reason = error.message.removeprefix("line 1: ")
            refused.append(_refusal(job, arrival.default_id or message_id, arrival.line, reason))
    return arrivals, refused


def _what_was_sent(body: str, message_id: str) -> tuple[str, str]:
    """The id and text of what was sent: an SNS notification's own (SNS may deliver one twice,
    as two SQS messages), else the SQS message's."""
    try:
        envelope = json.loads(body)
    except json.JSONDecodeError:
        return message_id, body
    if isinstance(envelope, dict) and envelope.get("Type") == "Notification":
        return str(envelope.get("MessageId", message_id)), str(envelope.get("Message", ""))
    return message_id, body


def _refusal(job: Any, message_id: str, line: dict[str, Any], reason: str) -> Refused:
    log.warning("job %s: SQS message %s is not an object: %s", job.name, message_id, reason)
    return Refused(line, f"message {message_id} refused: {reason}", message_id)


def _write_failures(dep: Deployment, job: Any) -> None:
    """failures.jsonl again, with the refused messages (they are in the database already)."""
    try:
        output.write_failures(dep, job)
    except StorageError as error:
        log.warning("job %s: failures.jsonl not written: %s", job.name, error.message)
