"""Sign-in pages in Chromium: a worker and an admin through the identity provider's own
sign-in form (and out through its end-session page), and "forgot password" to a new one with
the e-mailed link."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.factories import PASSWORD, make_admin, make_job, make_team
from tests.support.live import free_port, serve
from tests.support.oidc_provider import Provider
from tests.support.smtp import Inbox, smtp_sink
from truthset import workforce
from truthset.app import create_app
from truthset.deployment import Deployment, open_deployment
from truthset.errors import Unauthenticated
from truthset.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # The provider's certificate is made for the test session; truthset itself checks it
    # against TRUTHSET_OIDC_CA_FILE, the browser is told to accept it.
    return {**browser_context_args, "ignore_https_errors": True}


@dataclass
class Server:
    url: str
    dep: Deployment
    inbox: Inbox


@pytest.fixture
def server(tmp_path: Path, sqlite_template: Path, fresh_provider: Provider) -> Iterator[Server]:
    shutil.copy(sqlite_template, tmp_path / "truthset.db")
    port = free_port()
    with smtp_sink() as (smtp_url, inbox):
        settings = Settings(
            data_dir=tmp_path / "data",
            database_url=f"sqlite:///{tmp_path / 'truthset.db'}",
            secret_key="browser-test-key",  # type: ignore[arg-type]
            public_base_url=f"http://127.0.0.1:{port}",
            run_background=False,
            fast_password_hashing=True,
            smtp_url=smtp_url,
            oidc_admin_groups=["truthset-admins"],
            **fresh_provider.settings(),
        )
        dep = open_deployment(settings, migrate=False)
        with serve(create_app(deployment=dep), port) as url:
            yield Server(url, dep, inbox)
        dep.db.dispose()


def test_worker_and_admin_sign_in_with_the_provider(
    page: Page, server: Server, fresh_provider: Provider
) -> None:
    make_team(server.dep, workers=0)
    workforce.set_team_groups(server.dep, "radiologists", ["radiology"])
    make_job(server.dep, objects=2, workers_per_object=1, title="Which view is this?")
    fresh_provider.add_user("w-1", "reader@hospital.example", ["radiology"])
    fresh_provider.add_user("a-1", "chief@hospital.example", ["truthset-admins"])

    page.goto(server.url + "/portal")
    page.get_by_role("link", name="Sign in with Hospital SSO").click()
    expect(page.get_by_role("heading", name="Hospital SSO")).to_be_visible()
    page.get_by_role("button", name="Sign in as reader@hospital.example").click()
    expect(page.get_by_role("heading", name="Your labeling jobs")).to_be_visible()
    expect(page.get_by_text("2 items left for you")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "oidc-worker-portal.png"))
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    assert fresh_provider.logouts and fresh_provider.logouts[-1]["client_id"]

    page.get_by_role("link", name="Sign in with Hospital SSO").click()
    page.get_by_role("button", name="Sign in as chief@hospital.example").click()
    expect(page.get_by_role("heading", name="Labeling jobs")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/console$"))


def test_forgot_password_to_a_new_one(page: Page, server: Server) -> None:
    make_admin(server.dep)
    page.goto(server.url + "/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail").fill("admin@example.org")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("status")).to_contain_text("a link to choose a new password")
    inbox = server.inbox
    deadline = time.monotonic() + 10
    while not inbox.messages:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    body = inbox.messages[0].get_payload(decode=True).decode()
    link = re.search(r"http://\S+/password/reset/\S+", body).group(0)  # type: ignore[union-attr]
    page.goto(link)
    page.get_by_label("New password").fill("my new long password")
    page.get_by_label("Repeat it").fill("my new long password")
    page.get_by_role("button", name="Set password and sign in").click()
    expect(page.get_by_role("heading", name="Labeling jobs")).to_be_visible()
    page.goto(link)
    expect(page.get_by_text("unknown, already used or expired")).to_be_visible()
    assert workforce.authenticate(server.dep, "admin@example.org", "my new long password", "t")
    with pytest.raises(Unauthenticated):
        workforce.authenticate(server.dep, "admin@example.org", PASSWORD, "t")
