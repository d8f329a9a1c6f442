"""Password resets: by e-mail (through a real SMTP server: single use, expiring, rate-limited,
the same answer whether or not the address has an account) and by an admin's link (CLI)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.support.factories import PASSWORD, make_admin
from tests.support.smtp import Inbox, smtp_sink
from truthset.cli.main import app as cli
from truthset.clock import ManualClock
from truthset.deployment import Deployment
from truthset.mailer import SmtpMailer

ADMIN = "admin@example.org"
NEW = "a completely new password"


@pytest.fixture
def inbox(dep: Deployment) -> Iterator[Inbox]:
    with smtp_sink() as (url, received):
        dep.mailer = SmtpMailer(url, "truthset <noreply@example.org>")
        yield received


def csrf_of(client: TestClient) -> str:
    page = client.get("/password/forgot")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def ask(client: TestClient, email: str) -> tuple[int, str]:
    answer = client.post("/password/forgot", data={"email": email, "csrf_token": csrf_of(client)})
    return answer.status_code, answer.text.replace(email, "EMAIL")


def wait_for(inbox: Inbox, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(inbox.messages) < count:
        assert time.monotonic() < deadline, "no reset e-mail arrived"
        time.sleep(0.02)


def link_in(inbox: Inbox, index: int = -1) -> str:
    body = inbox.messages[index].get_payload(decode=True).decode()  # type: ignore[union-attr]
    return re.search(r"http://testserver(/password/reset/\S+)", body).group(1)  # type: ignore[union-attr]


def test_reset_by_email(
    client: TestClient, dep: Deployment, inbox: Inbox, clock: ManualClock
) -> None:
    make_admin(dep)
    known = ask(client, ADMIN)
    unknown = ask(client, "nobody@example.org")
    assert known == unknown and known[0] == 200, "the answer must not tell who has an account"
    wait_for(inbox, 1)
    time.sleep(0.2)
    assert [m["To"] for m in inbox.messages] == [ADMIN]
    path = link_in(inbox)
    assert ADMIN in client.get(path).text
    csrf = csrf_of(client)
    assert client.post(path, data={"password": NEW, "confirm": NEW}).status_code == 403  # no CSRF
    done = client.post(
        path, data={"password": NEW, "confirm": NEW, "csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/console"
    assert client.get("/api/v1/me").json()["email"] == ADMIN
    assert client.get(path).status_code == 404, "a link works once"
    body = {"email": ADMIN, "password": NEW}
    assert client.post("/api/v1/login", json=body).status_code == 200
    # An unused link expires.
    ask(client, ADMIN)
    wait_for(inbox, 2)
    clock.advance(dep.settings.password_reset_ttl + 1)
    assert client.get(link_in(inbox)).status_code == 404


def test_reset_requests_are_limited(client: TestClient, dep: Deployment, inbox: Inbox) -> None:
    make_admin(dep)
    free = dep.settings.login_max_failures
    codes = [ask(client, ADMIN)[0] for _ in range(free + 1)]
    assert codes == [200] * free + [429]
    time.sleep(0.5)
    assert len(inbox.messages) == 3, "at most three reset e-mails per address per window"


def test_without_smtp_an_admin_hands_out_the_link(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    assert "ask an admin for a password reset link" in client.get("/password/forgot").text
    options = [
        "--data-dir",
        str(dep.settings.data_dir),
        "--database-url",
        dep.settings.database_url,
    ]
    result = CliRunner().invoke(cli, [*options, "admin", "reset-link", ADMIN])
    assert result.exit_code == 0, result.output
    # The CLI's own settings name the server (TRUTHSET_PUBLIC_BASE_URL); the path is the link.
    url = re.search(r"https?://[^/\s]+(/password/reset/\S+)", result.output).group(1)  # type: ignore[union-attr]
    csrf = csrf_of(client)
    bad = client.post(url, data={"password": NEW, "confirm": "different", "csrf_token": csrf})
    assert bad.status_code == 400 and "differ" in bad.text
    assert (
        client.post(url, data={"password": NEW, "confirm": NEW, "csrf_token": csrf}).status_code
        == 200
    )
    assert (
        client.post("/api/v1/login", json={"email": ADMIN, "password": PASSWORD}).status_code == 401
    )
    missing = CliRunner().invoke(cli, [*options, "admin", "reset-link", "nobody@example.org"])
    assert missing.exit_code == 1 and "no user" in missing.output
