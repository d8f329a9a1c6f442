"""A streaming job's output lines, one per labeled object, sent to its output SNS topic and/or
webhook as they are labeled (at least once: an object is marked published only after every
destination took it, so a failed send is retried on a later pass)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

import httpx
from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy import select, update

from truthset.db.tables import DataObject
from truthset.deployment import Deployment
from truthset.intake.options import topic_region
from truthset.intake.queues import client
from truthset.output import output_line

log = logging.getLogger(__name__)
BATCH = 100
SIGNATURE_HEADER = "X-Truthset-Signature"
WEBHOOK_TIMEOUT = 10.0


def webhook_secret(dep: Deployment, job_name: str) -> str:
    """The key a job's webhook requests are signed with: derived from the deployment's secret
    key, so nothing secret is stored with the job (`truthset job webhook-secret` shows it)."""
    message = f"streaming-webhook:{job_name.lower()}".encode()
    return hmac.new(dep.secret_key.encode(), message, hashlib.sha256).hexdigest()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def publish_labeled(dep: Deployment, job: Any, stream: dict[str, Any]) -> int:
    """Sends the output lines of labeled objects not sent yet; returns how many went out."""
    sent = 0
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
            return sent
        lines = {row.object_id: output_line(row.line, row.label) for row in rows}
        done = _send(dep, job, stream, lines)
        if done:
            with dep.db.write() as conn:
                conn.execute(
                    update(DataObject)
                    .where(DataObject.job_id == job.id, DataObject.object_id.in_(done))
                    .values(published=True)
                )
        sent += len(done)
        if len(done) < len(rows):
            return sent  # a destination failed: try again on a later pass


def _send(dep: Deployment, job: Any, stream: dict[str, Any], lines: dict[int, str]) -> list[int]:
    """The object ids every destination took."""
    ok = list(lines)
    if stream.get("output_topic"):
        ok = _to_topic(stream["output_topic"], {i: lines[i] for i in ok}, job.name)
    if stream.get("webhook"):
        ok = _to_webhook(dep, stream["webhook"], {i: lines[i] for i in ok}, job.name)
    return ok


def _to_topic(topic: str, lines: dict[int, str], job_name: str) -> list[int]:
    sns = client("sns", topic_region(topic))
    ok: list[int] = []
    ids = list(lines)
    for start in range(0, len(ids), 10):
        chunk = ids[start : start + 10]
        try:
            result = sns.publish_batch(
                TopicArn=topic,
                PublishBatchRequestEntries=[{"Id": str(i), "Message": lines[i]} for i in chunk],
            )
        except (ClientError, BotoCoreError) as error:
            log.warning("job %s: output topic %s did not take lines: %s", job_name, topic, error)
            return ok
        ok += [int(entry["Id"]) for entry in result.get("Successful", [])]
        if result.get("Failed"):
            return ok
    return ok


def _to_webhook(dep: Deployment, url: str, lines: dict[int, str], job_name: str) -> list[int]:
    """One POST per output line, its body the line, signed with the job's webhook secret."""
    secret = webhook_secret(dep, job_name)
    ok: list[int] = []
    with httpx.Client(timeout=WEBHOOK_TIMEOUT) as http:
        for object_id, line in lines.items():
            body = line.encode()
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: signature(secret, body),
                "X-Truthset-Job": job_name,
            }
            try:
                response = http.post(url, content=body, headers=headers)
            except httpx.HTTPError as error:
                # The host only: a URL's path or query may hold a token.
                host = httpx.URL(url).host
                log.warning(
                    "job %s: webhook at %s failed: %s", job_name, host, type(error).__name__
                )
                return ok
            if response.status_code >= 300:
                log.warning("job %s: webhook answered %s", job_name, response.status_code)
                return ok
            ok.append(object_id)
    return ok
