"""Request bodies over their limit get 413 before they are read, also when sent chunked."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.factories import make_admin, make_team
from tests.support.live import free_port, serve
from tests.web.test_api_flow import login
from truthset.deployment import Deployment


def _too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["type"] == "too_large" and str(limit) in error["message"]


def test_anonymous_sign_in_has_the_small_limit(client: TestClient, dep: Deployment) -> None:
    limit = dep.settings.max_anonymous_body
    padding = "x" * limit
    response = client.post("/api/v1/login", json={"email": padding, "password": "p"})
    _too_large(response, limit)
    # The console's sign-in form, and any request without credentials.
    _too_large(client.post("/login", data={"email": padding}), limit)
    _too_large(client.post("/api/v1/teams", json={"name": padding}), limit)
    # Small enough: an ordinary answer (wrong password).
    assert client.post("/api/v1/login", json={"email": "a@b.c", "password": "p"}).status_code == 401


def test_admin_requests_have_the_default_limit(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    admin = login(client, "admin@example.org")
    limit = dep.settings.max_body
    body = {"name": "t", "description": "x" * limit}
    _too_large(client.post("/api/v1/teams", json=body, headers=admin), limit)
    # Under the default but over the anonymous limit: read, and refused for its content only.
    medium = {"name": "t", "description": "x" * (limit // 2)}
    assert client.post("/api/v1/teams", json=medium, headers=admin).status_code == 400


def test_answers_have_the_answer_limit(client: TestClient, dep: Deployment) -> None:
    make_team(dep, workers=1)
    worker = login(client, "worker0@radiologists.example.org")
    dep.settings.max_answer_body = 3 * dep.settings.max_body
    fits = {"answer": {"crowd-classifier": {"label": "x" * 2 * dep.settings.max_body}}}
    passed = client.post("/api/v1/worker/tasks/1/answer", json=fits, headers=worker)
    assert passed.status_code == 404  # read and checked: there is no such task
    over = {"answer": {"x": "x" * dep.settings.max_answer_body}}
    _too_large(
        client.post("/api/v1/worker/tasks/1/answer", json=over, headers=worker),
        dep.settings.max_answer_body,
    )


@pytest.fixture
def live(app: FastAPI) -> Iterator[str]:
    with serve(app, free_port()) as url:
        yield url


def test_a_chunked_body_is_cut_off_at_the_limit(live: str, dep: Deployment) -> None:
    """No Content-Length: the server stops reading once the limit is passed, instead of
    taking in 100 MB first."""
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"email": "'
        for _ in range(100 * 16):  # 100 MB in 64 KB chunks
            sent += 1 << 16
            yield b"x" * (1 << 16)
        yield b'", "password": "p"}'

    headers = {"content-type": "application/json"}
    try:
        response = httpx.post(live + "/api/v1/login", content=body(), headers=headers)
    except httpx.TransportError:
        response = None  # the server answered and closed while the client was still sending
    if response is not None:
        _too_large(response, dep.settings.max_anonymous_body)
    assert sent < 20 << 20


def test_a_declared_length_over_the_limit_is_refused_unread(live: str, dep: Deployment) -> None:
    """Content-Length says 100 MB; the answer comes back without the body ever being sent."""
    host, port = live.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {100 << 20}\r\n\r\n".encode()
        )
        reply = b""
        while b"}}" not in reply and (chunk := sock.recv(65536)):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["error"]["type"] == "too_large"
