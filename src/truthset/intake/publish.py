"""A streaming job's output lines, one per labeled object, sent to its output SNS topic and/or
webhook.

Two steps, so that no line is lost or sent twice when a job stops or a runner restarts:

1. `queue_labeled` (the job's pass, under its runner lease) puts each newly labeled object's
   line in the outbox, one message per destination, in the transaction that marks the object
   queued (`DataObject.published`): every line is queued exactly once, whatever crashes.
2. `deliver_lines` sends what is due, from the job's pass and from every runner pass, so lines
   queued before a stop still go out after the job reached Stopped. A failed send is retried
   with the outbox's back-off (2 s doubling, at most an hour) up to its ATTEMPTS; then the line
   is recorded as not delivered (`undelivered`: job describe, the console's job page) and no
   longer tried. A delivered message is marked so, and never sent again.

A runner killed between a send and its record sends that line again once the claim runs out;
the webhook's `X-Truthset-Delivery` header (the outbox id) lets a receiver drop the repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy import func, insert, select, update

from truthset.db.tables import DataObject, Job, OutboxMessage
from truthset.deployment import Deployment
from truthset.intake.options import topic_region
from truthset.intake.queues import client
from truthset.notifications import delivery
from truthset.output import output_line

BATCH = 100
SIGNATURE_HEADER = "X-Truthset-Signature"
WEBHOOK_TIMEOUT = 10.0
TOPIC = "sns"
WEBHOOK = "stream-webhook"
KINDS = (TOPIC, WEBHOOK)
EVENT = "output-line"
# A call to deliver_lines sends at most this many batches: a long backlog is spread over passes.
ROUNDS = 20


def webhook_secret(dep: Deployment, job_name: str) -> str:
    """The key a job's webhook requests are signed with: derived from the deployment's secret
    key, so nothing secret is stored with the job (`truthset job webhook-secret` shows it)."""
    message = f"streaming-webhook:{job_name.lower()}".encode()
    return hmac.new(dep.secret_key.encode(), message, hashlib.sha256).hexdigest()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def destinations(stream: dict[str, Any]) -> list[tuple[str, str]]:
    """(outbox kind, target) of each place the job's output lines go."""
    found = []
    if stream.get("output_topic"):
        found.append((TOPIC, str(stream["output_topic"])))
    if stream.get("webhook"):
        found.append((WEBHOOK, str(stream["webhook"])))
    return found


def queue_labeled(dep: Deployment, job: Any, stream: dict[str, Any]) -> int:
    """Puts the output lines of labeled objects not queued yet in the outbox; returns how many
    objects were queued."""
    targets = destinations(stream)
    if not targets:
        return 0
    queued = 0
    while True:
        with dep.db.read() as conn:
            rows = conn.execute(
                select(DataObject.object_id, DataObject.line, DataObject.label)
                .where(
                    DataObject.job_id == job.id,
                    DataObject.published.is_(False),
                    DataObject.state.in_(("labeled", "autolabeled")),
                )
                .order_by(DataObject.object_id)
                .limit(BATCH)
            ).all()
        if not rows:
            return queued
        now = dep.clock.now()
        common = {"event": EVENT, "job_id": job.id, "state": "pending", "attempts": 0}
        messages = [
            {
                **common,
                "kind": kind,
                "target": target,
                "payload": json.dumps(
                    {"object": row.object_id, "line": output_line(row.line, row.label)},
                    ensure_ascii=False,
                ),
                "next_at": now,
                "created_at": now,
            }
            for row in rows
            for kind, target in targets
        ]
        ids = [row.object_id for row in rows]
        with dep.db.write() as conn:
            conn.execute(insert(OutboxMessage), messages)
            conn.execute(
                update(DataObject)
                .where(DataObject.job_id == job.id, DataObject.object_id.in_(ids))
                .values(published=True)
            )
        queued += len(rows)


def deliver_lines(dep: Deployment, job_id: int | None = None) -> int:
    """Sends the output lines that are due (of one job, or of every job, ended ones too);
    returns how many were delivered."""
    delivered = 0
    for _ in range(ROUNDS):
        claimed = delivery.claim(dep, KINDS, job_id, BATCH)
        if not claimed:
            break
        names = _job_names(dep, {row.job_id for row in claimed})
        errors = _to_topics(claimed) | _to_webhooks(dep, claimed, names)
        delivery.settle(dep, [(row, errors.get(row.id)) for row in claimed])
        delivered += sum(row.id not in errors for row in claimed)
        if len(claimed) < BATCH:
            break
    return delivered


def _job_names(dep: Deployment, job_ids: set[int]) -> dict[int, str]:
    with dep.db.read() as conn:
        rows = conn.execute(select(Job.id, Job.name).where(Job.id.in_(job_ids))).all()
    return {row.id: row.name for row in rows}


def _by_target(rows: Iterable[Any], kind: str) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        if row.kind == kind:
            grouped[row.target].append(row)
    return grouped


def _line(row: Any) -> str:
    return str(json.loads(row.payload)["line"])


def _to_topics(rows: list[Any]) -> dict[int, str]:
    """Publishes to each output topic, ten lines a call; returns why each failed line failed.
    After a failed call the topic's other lines wait for the back-off too."""
    errors: dict[int, str] = {}
    for topic, messages in _by_target(rows, TOPIC).items():
        sns = client("sns", topic_region(topic))
        for start in range(0, len(messages), 10):
            chunk = messages[start : start + 10]
            try:
                result = sns.publish_batch(
                    TopicArn=topic,
                    PublishBatchRequestEntries=[
                        {"Id": str(row.id), "Message": _line(row)} for row in chunk
                    ],
                )
            except (ClientError, BotoCoreError) as error:
                reason = f"output topic {topic} did not take the line: {error}"
                errors.update({row.id: reason for row in messages[start:]})
                break
            for entry in result.get("Failed", []):
                errors[int(entry["Id"])] = (
                    f"output topic {topic} refused the line: {entry.get('Code')} "
                    f"{entry.get('Message', '')}".strip()
                )
    return errors


def _to_webhooks(dep: Deployment, rows: list[Any], names: dict[int, str]) -> dict[int, str]:
    """One POST per output line, its body the line, signed with the job's webhook secret.
    After a failure the webhook's other lines wait for the back-off too (a webhook that is down
    would otherwise hold the runner for a timeout per line)."""
    errors: dict[int, str] = {}
    with httpx.Client(timeout=WEBHOOK_TIMEOUT, follow_redirects=False) as http:
        for url, messages in _by_target(rows, WEBHOOK).items():
            for index, row in enumerate(messages):
                reason = _post(dep, http, url, row, names.get(row.job_id, ""))
                if reason is not None:
                    errors.update({later.id: reason for later in messages[index:]})
                    break
    return errors


def _post(dep: Deployment, http: httpx.Client, url: str, row: Any, job_name: str) -> str | None:
    body = _line(row).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(webhook_secret(dep, job_name), body),
        "X-Truthset-Job": job_name,
        delivery.DELIVERY_HEADER: str(row.id),
    }
    # The host only in the reason: a URL's path or query may hold a token.
    host = httpx.URL(url).host
    try:
        response = http.post(url, content=body, headers=headers)
    except httpx.HTTPError as error:
        return f"webhook at {host} could not be reached: {type(error).__name__}"
    if not 200 <= response.status_code < 300:
        return f"webhook at {host} answered HTTP {response.status_code}"
    return None


@dataclass(frozen=True)
class Undelivered:
    """An output line that failed every attempt: it is in the output manifest, but the topic
    or webhook never took it."""

    object_id: int
    destination: str
    reason: str
    attempts: int


def undelivered(dep: Deployment, job_id: int, limit: int = 10) -> tuple[int, list[Undelivered]]:
    """How many of a job's output lines were given up on, and the first `limit` of them."""
    given_up = (
        OutboxMessage.job_id == job_id,
        OutboxMessage.kind.in_(KINDS),
        OutboxMessage.state == "failed",
    )
    with dep.db.read() as conn:
        count = conn.scalar(select(func.count()).select_from(OutboxMessage).where(*given_up))
        rows = conn.execute(
            select(OutboxMessage.__table__).where(*given_up).order_by(OutboxMessage.id).limit(limit)
        ).all()
    return int(count or 0), [
        Undelivered(
            int(json.loads(row.payload)["object"]),
            "output topic" if row.kind == TOPIC else "webhook",
            row.last_error or "",
            row.attempts,
        )
        for row in rows
    ]
