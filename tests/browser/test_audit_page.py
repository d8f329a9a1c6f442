"""An admin reads the audit trail in Chromium: the entries of their own sign-in and changes,
narrowed by actor, action and time, and the page offers no way to change an entry."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live
from tests.browser.test_console import sign_in
from tests.support.factories import make_admin
from truthset import workforce


def test_audit_page_filters(page: Page, live: Live, shots: Path) -> None:
    make_admin(live.dep)
    workforce.create_team(live.dep, "readers")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live.url + "/login")
    page.get_by_label("E-mail").fill("admin@example.org")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    sign_in(page, live, "admin@example.org")
    page.get_by_role("navigation").get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(4)  # admin created, team created, failed and good sign-in
    expect(rows.first).to_contain_text("signin")
    expect(rows.first).to_contain_text("127.0.0.1")
    page.screenshot(path=str(shots / "console-audit.png"), full_page=True)

    page.get_by_label("Action").select_option("signin.failed")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("admin@example.org")

    page.get_by_label("Action").select_option("")
    page.get_by_label("Actor").fill("nobody@example.org")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("heading", name="No entries")).to_be_visible()

    page.get_by_label("Actor").fill("")
    page.get_by_label("From (UTC)").fill("2999-01-01T00:00:00")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("heading", name="No entries")).to_be_visible()
    # Read-only: no form on the page posts anywhere but sign-out.
    forms = page.locator("main form[method=post]")
    expect(forms).to_have_count(0)
