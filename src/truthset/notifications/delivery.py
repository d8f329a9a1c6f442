"""Delivering the outbox, from the background runner (never in a request): webhooks POSTed
with the hooks' HMAC signature (hooks/http.py: X-Truthset-Timestamp, X-Truthset-Signature over
`<timestamp>.<body>` with the URL's secret, `truthset hook secret URL`), e-mail through the
mailer. A failure is retried with exponential back-off (2 s doubling, at most an hour apart)
until ATTEMPTS, then the message is marked failed with its last error.

Each message is claimed before it is sent (its next attempt moved past the send timeout), so
several runners never send one message at the same time; a runner killed mid-send leaves it to
be sent again after the claim runs out: receivers should expect a repeat now and then and can
tell by the `X-Truthset-Delivery` id."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from truthset.db.tables import OutboxMessage
from truthset.deployment import Deployment
from truthset.hooks.http import SIGNATURE_HEADER, TIMESTAMP_HEADER, endpoint_secret, signature

log = logging.getLogger(__name__)
ATTEMPTS = 10
FIRST_BACKOFF = 2.0
MAX_BACKOFF = 3600.0
SEND_TIMEOUT = 10.0
BATCH = 50
EVENT_HEADER = "X-Truthset-Event"
DELIVERY_HEADER = "X-Truthset-Delivery"
# The kinds sent here; streaming jobs' output lines wait in the outbox too (intake/publish.py).
KINDS = ("webhook", "email")


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones."""
    return float(min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (attempts - 1)))


def claim(
    dep: Deployment, kinds: tuple[str, ...], job_id: int | None = None, batch: int = BATCH
) -> list[Any]:
    """Due messages of these kinds (of one job, or any), each moved past the send timeout so
    that no other runner sends it meanwhile."""
    now = dep.clock.now()
    where = [
        OutboxMessage.state == "pending",
        OutboxMessage.next_at <= now,
        OutboxMessage.kind.in_(kinds),
    ]
    if job_id is not None:
        where.append(OutboxMessage.job_id == job_id)
    with dep.db.read() as conn:
        due = list(
            conn.execute(
                select(OutboxMessage.__table__)
                .where(*where)
                .order_by(OutboxMessage.id)
                .limit(batch)
            )
        )
    if not due:
        return []  # most passes: no write transaction to queue for
    claimed = []
    until = now + timedelta(seconds=SEND_TIMEOUT * 3)
    with dep.db.write() as conn:
        for row in due:
            taken = conn.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == row.id,
                    OutboxMessage.state == "pending",
                    OutboxMessage.next_at == row.next_at,
                )
                .values(next_at=until)
            )
            if taken.rowcount == 1:
                claimed.append(row)
    return claimed


def deliver_due(dep: Deployment) -> int:
    """Sends what is due; returns how many were delivered."""
    claimed = claim(dep, KINDS)
    if not claimed:
        return 0
    delivered = 0
    with httpx.Client(timeout=SEND_TIMEOUT, follow_redirects=False) as client:
        for row in claimed:
            error = _send(dep, client, row)
            settle(dep, [(row, error)])
            delivered += error is None
    return delivered


def _send(dep: Deployment, client: httpx.Client, row: Any) -> str | None:
    """None when delivered, else why not."""
    if row.kind == "email":
        if dep.mailer is None:
            return "no SMTP server is set (TRUTHSET_SMTP_URL)"
        message = json.loads(row.payload)
        try:
            dep.mailer.send(row.target, message["subject"], message["text"])
        except OSError as problem:
            return f"SMTP: {problem}"
        return None
    body = row.payload.encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature(endpoint_secret(dep.secret_key, row.target), stamp, body),
        EVENT_HEADER: row.event,
        DELIVERY_HEADER: str(row.id),
    }
    try:
        response = client.post(row.target, content=body, headers=headers)
    except httpx.HTTPError as problem:
        return f"{row.target} could not be reached: {type(problem).__name__}"
    if not 200 <= response.status_code < 300:
        return f"{row.target} answered HTTP {response.status_code}"
    return None


def settle(dep: Deployment, outcomes: list[tuple[Any, str | None]]) -> None:
    """Records how sending went (None: delivered, else why not), in one transaction: delivered,
    due again after the back-off, or failed for good after ATTEMPTS."""
    now = dep.clock.now()
    with dep.db.write() as conn:
        for row, error in outcomes:
            values = _outcome(row, error, now)
            conn.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))


def _outcome(row: Any, error: str | None, now: datetime) -> dict[str, Any]:
    attempts = row.attempts + 1
    if error is None:
        return {"state": "delivered", "delivered_at": now, "attempts": attempts}
    log.warning("outbox message %s (%s) failed, attempt %d: %s", row.id, row.event, attempts, error)
    return {
        "attempts": attempts,
        "last_error": error[:1024],
        "state": "failed" if attempts >= ATTEMPTS else "pending",
        "next_at": now + timedelta(seconds=backoff(attempts)),
    }
