"""What goes into the outbox, written in the transaction of the change it tells of, so a
change that rolls back notifies nobody and one that commits is never forgotten.

Webhook events (the job's `webhook_url` option): `job.status_changed` on every status change,
`object.labeled` for every data object that gets its label (human or machine). E-mail: when a
job starts (InProgress) and its team has a NotificationConfiguration, each active member who
has not opted out is told there is work for them (Ground Truth's new-work notification)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from truthset.db.tables import Job, OutboxMessage, Team, TeamMember, User
from truthset.deployment import Deployment


def _rows(kind: str, event: str, job_id: int, now: datetime) -> dict[str, Any]:
    return {
        "kind": kind,
        "event": event,
        "job_id": job_id,
        "state": "pending",
        "attempts": 0,
        "next_at": now,
        "created_at": now,
    }


def _webhook(conn: Connection, job_id: int) -> tuple[str, str | None]:
    row = conn.execute(select(Job.name, Job.options).where(Job.id == job_id)).one()
    return row.name, json.loads(row.options or "{}").get("webhook_url")


def status_changed(conn: Connection, dep: Deployment, job_id: int, status: str) -> None:
    """Call after a job's status changed (in the same transaction)."""
    now = dep.clock.now()
    name, url = _webhook(conn, job_id)
    messages: list[dict[str, Any]] = []
    if url:
        body = {
            "event": "job.status_changed",
            "job": name,
            "status": status,
            "at": now.isoformat() + "Z",
        }
        messages.append(
            {
                **_rows("webhook", "job.status_changed", job_id, now),
                "target": url,
                "payload": json.dumps(body),
            }
        )
    if status == "InProgress" and dep.settings.smtp_url:
        messages += _new_work_emails(conn, dep, job_id, now)
    if messages:
        conn.execute(insert(OutboxMessage), messages)


def objects_labeled(
    conn: Connection, dep: Deployment, job_id: int, labels: Iterable[tuple[int, Any, bool]]
) -> None:
    """Call after labels were stored: (object id, label content, machine-labeled) each."""
    name, url = _webhook(conn, job_id)
    if not url:
        return
    now = dep.clock.now()
    base = {**_rows("webhook", "object.labeled", job_id, now), "target": url}
    messages = [
        {
            **base,
            "payload": json.dumps(
                {
                    "event": "object.labeled",
                    "job": name,
                    "data_object_id": str(object_id),
                    "label": content,
                    "machine_labeled": machine,
                    "at": now.isoformat() + "Z",
                }
            ),
        }
        for object_id, content, machine in labels
    ]
    if messages:
        conn.execute(insert(OutboxMessage), messages)


def _new_work_emails(
    conn: Connection, dep: Deployment, job_id: int, now: datetime
) -> list[dict[str, Any]]:
    job = conn.execute(
        select(Job.title, Job.description, Job.team_id, Team.name, Team.notification_topic)
        .join(Team, Team.id == Job.team_id)
        .where(Job.id == job_id)
    ).one()
    if not job.notification_topic:
        return []
    emails = conn.scalars(
        select(User.email)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(
            TeamMember.team_id == job.team_id,
            User.status == "active",
            User.notify_email.is_(True),
        )
        .order_by(User.email)
    )
    portal = f"{dep.settings.base_url}/portal"
    text = (
        f"A labeling job has work for your team {job.name}:\n\n  {job.title}\n  {job.description}\n\n"
        f"Start here: {portal}\n\n"
        f"To stop these e-mails, turn them off on your account page: {dep.settings.base_url}/account/password\n"
    )
    payload = json.dumps({"subject": f"New work for {job.name}: {job.title}", "text": text})
    base = _rows("email", "job.started", job_id, now)
    return [{**base, "target": email, "payload": payload} for email in emails]
