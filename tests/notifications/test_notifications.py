"""Notifications, delivered by the background runner from the outbox, never in a request:
new-work e-mail to a team's workers through a real SMTP server (aiosmtpd), with a worker's
opt-out; job webhooks to a real HTTP receiver on 127.0.0.1, HMAC-signed, retried with back-off."""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.audit.test_actions import login
from tests.support.factories import (
    PASSWORD,
    VIEWS,
    answer,
    make_admin,
    write_images,
    write_manifest,
)
from tests.support.smtp import smtp_sink
from truthset.app import create_app
from truthset.background.runner import Runner
from truthset.clock import ManualClock
from truthset.db.tables import OutboxMessage
from truthset.deployment import Deployment, open_deployment
from truthset.hooks.http import endpoint_secret, signature
from truthset.notifications import delivery
from truthset.settings import Settings


@dataclass
class Receiver:
    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    failures_left: int = 0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state.failures_left:
                state.failures_left -= 1
                self.send_response(500)
            else:
                state.received.append((dict(self.headers), body))
                self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/truthset"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _job(
    client: TestClient, dep: Deployment, admin: dict[str, str], team: str, **extra: Any
) -> None:
    root = dep.settings.data_dir.resolve()
    images = write_images(root / f"{team}-images", 2)
    manifest = write_manifest(root / f"{team}.manifest", [{"source-ref": str(p)} for p in images])
    body = {
        "name": f"{team}-job",
        "title": "Mammography views",
        "manifest": str(manifest),
        "output": str(root / "out"),
        "team": team,
        "labels": VIEWS,
        "workers_per_object": 1,
        **extra,
    }
    assert client.post("/api/v1/jobs", json=body, headers=admin).status_code == 201


def test_new_work_email_with_opt_out(settings: Settings, clock: ManualClock) -> None:
    with smtp_sink() as (url, inbox):
        dep = open_deployment(
            settings.model_copy(update={"smtp_url": url}), clock=clock, migrate=False
        )
        with TestClient(create_app(deployment=dep)) as client:
            make_admin(dep)
            admin = login(client, "admin@example.org")
            team = {"name": "readers", "notify_workers": True}
            assert client.post("/api/v1/teams", json=team, headers=admin).status_code == 201
            assert (
                client.post("/api/v1/teams", json={"name": "quiet"}, headers=admin).status_code
                == 201
            )
            emails = ["a@example.org", "b@example.org", "c@example.org"]
            for name, who in (("readers", emails), ("quiet", ["q@example.org"])):
                body = {"emails": who, "password": PASSWORD}
                assert (
                    client.post(
                        f"/api/v1/teams/{name}/workers", json=body, headers=admin
                    ).status_code
                    == 201
                )
            worker_b = login(client, "b@example.org")
            off = client.put(
                "/api/v1/me/notifications", json={"email_on_new_work": False}, headers=worker_b
            )
            assert off.json() == {"email_on_new_work": False}
            assert client.get("/api/v1/me/notifications", headers=worker_b).json() == off.json()
            _job(client, dep, admin, "readers")
            _job(client, dep, admin, "quiet")
            assert inbox.messages == []  # the jobs are Initializing; and requests send nothing
            runner = Runner(dep)
            runner.run_once()  # imports both jobs (InProgress), then delivers the outbox
            assert sorted(m["To"] for m in inbox.messages) == ["a@example.org", "c@example.org"]
            message = inbox.messages[0]
            assert message["Subject"] == "New work for readers: Mammography views"
            assert "http://testserver/portal" in message.get_payload()
            runner.run_once()
            assert len(inbox.messages) == 2  # each once
        dep.db.dispose()


def _verify(dep: Deployment, receiver: Receiver) -> list[dict[str, Any]]:
    secret = endpoint_secret(dep.secret_key, receiver.url)
    events = []
    for headers, body in receiver.received:
        expected = signature(secret, headers["X-Truthset-Timestamp"], body)
        assert hmac.compare_digest(headers["X-Truthset-Signature"], expected)
        event = json.loads(body)
        assert headers["X-Truthset-Event"] == event["event"]
        events.append(event)
    return events


def test_webhooks_signed_and_retried(
    client: TestClient, dep: Deployment, receiver: Receiver
) -> None:
    make_admin(dep)
    admin = login(client, "admin@example.org")
    client.post("/api/v1/teams", json={"name": "readers"}, headers=admin)
    body = {"emails": ["a@example.org"], "password": PASSWORD}
    client.post("/api/v1/teams/readers/workers", json=body, headers=admin)
    _job(client, dep, admin, "readers", options={"webhook_url": receiver.url})
    runner = Runner(dep)
    runner.run_once()
    assert [(e["event"], e["status"]) for e in _verify(dep, receiver)] == [
        ("job.status_changed", "InProgress")
    ]

    worker = login(client, "a@example.org")
    for _ in range(2):
        task = client.post("/api/v1/worker/jobs/readers-job/next-task", headers=worker).json()
        done = client.post(
            f"/api/v1/worker/tasks/{task['task_id']}/answer",
            json={"answer": answer(VIEWS[2])},
            headers=worker,
        )
        assert done.status_code == 204
    assert len(receiver.received) == 1  # nothing is sent from the request path
    receiver.failures_left = 1  # the receiver is down for the next request
    runner.run_once()  # consolidates, completes the job, and tries to deliver
    events = _verify(dep, receiver)
    labeled = [e for e in events if e["event"] == "object.labeled"]
    assert len(events) == 1 + 2 and len(labeled) == 1  # the first label's POST failed
    with dep.db.read() as conn:
        waiting = conn.execute(select(OutboxMessage).where(OutboxMessage.state == "pending")).all()
    assert len(waiting) == 1 and waiting[0].attempts == 1 and "HTTP 500" in waiting[0].last_error
    delivery.deliver_due(dep)
    assert len(receiver.received) == 3  # back-off: not due yet
    dep.clock.advance(delivery.backoff(1))  # type: ignore[attr-defined]
    delivery.deliver_due(dep)
    events = _verify(dep, receiver)
    assert sorted(e["data_object_id"] for e in events if e["event"] == "object.labeled") == [
        "0",
        "1",
    ]
    assert all(e["label"]["readers-job"] == 2 for e in events if e["event"] == "object.labeled")
    assert [e["status"] for e in events if e["event"] == "job.status_changed"] == [
        "InProgress",
        "Completed",
    ]


def test_a_webhook_that_never_answers_fails_after_the_attempts(
    dep: Deployment, receiver: Receiver
) -> None:
    receiver.failures_left = delivery.ATTEMPTS + 5
    make_admin(dep)
    with dep.db.write() as conn:
        conn.execute(
            OutboxMessage.__table__.insert().values(
                kind="webhook",
                event="job.status_changed",
                job_id=None,
                target=receiver.url,
                payload="{}",
                state="pending",
                attempts=0,
                next_at=dep.clock.now(),
                created_at=dep.clock.now(),
            )
        )
    for attempt in range(1, delivery.ATTEMPTS + 1):
        delivery.deliver_due(dep)
        dep.clock.advance(delivery.backoff(attempt))  # type: ignore[attr-defined]
    with dep.db.read() as conn:
        row = conn.execute(select(OutboxMessage)).one()
    assert row.state == "failed" and row.attempts == delivery.ATTEMPTS and receiver.received == []
    assert [delivery.backoff(n) for n in (1, 2, 3, 20)] == [2.0, 4.0, 8.0, 3600.0]
