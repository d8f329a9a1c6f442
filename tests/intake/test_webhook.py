"""A streaming job's webhook: one POST per labeled object, the body its output line, signed with
HMAC-SHA256 under the job's webhook secret; a refused delivery is sent again on a later pass."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient

from tests.intake.test_streaming_api import _add, _create, _label_all
from tests.support.factories import make_admin, make_team
from tests.web.test_api_flow import login, step
from truthset.clock import ManualClock
from truthset.deployment import Deployment
from truthset.intake.publish import webhook_secret


class Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[bytes, dict[str, str]]]] = []
    refuse_next = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.refuse_next:
            Receiver.refuse_next -= 1
            self.send_response(503)
        else:
            Receiver.received.append((body, dict(self.headers)))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    Receiver.refuse_next = 1
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/labels"
    server.shutdown()
    server.server_close()


def test_labeled_objects_go_to_the_webhook_signed_and_retried(
    client: TestClient, dep: Deployment, clock: ManualClock, receiver: str
) -> None:
    make_admin(dep)
    admin = login(client, "admin@example.org")
    [worker] = make_team(dep, workers=1)
    _create(client, dep, admin, options={"streaming": {"webhook": receiver}})
    _add(client, admin, [{"source": "good"}, {"source": "bad"}])
    _label_all(dep, worker)
    step(dep)  # the first delivery is refused (503)
    assert Receiver.received == []
    clock.advance(2)
    step(dep)
    assert len(Receiver.received) == 2
    clock.advance(2)
    step(dep)
    assert len(Receiver.received) == 2  # each once
    secret = webhook_secret(dep, "reviews")
    for body, headers in Receiver.received:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Truthset-Signature"] == expected
        line = json.loads(body)
        assert line["reviews-metadata"]["class-name"] == "positive"
    assert sorted(json.loads(b)["source"] for b, _ in Receiver.received) == ["bad", "good"]


def test_a_webhook_must_be_an_http_url(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    admin = login(client, "admin@example.org")
    make_team(dep, workers=1)
    body = {
        "name": "reviews",
        "output": str(dep.settings.data_dir.resolve() / "out"),
        "task_type": "text-classification",
        "team": "radiologists",
        "labels": ["a", "b"],
        "options": {"streaming": {"webhook": "file:///etc/passwd"}},
    }
    response = client.post("/api/v1/jobs", json=body, headers=admin)
    assert response.status_code == 400 and "webhook" in response.text
