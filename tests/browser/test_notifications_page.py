"""A worker turns new-work e-mail off and on again on their account page, in Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live
from tests.browser.test_console import sign_in
from tests.support.factories import make_team
from truthset import workforce


def test_worker_opts_out_of_new_work_email(page: Page, live: Live) -> None:
    (worker,) = make_team(live.dep, "readers", workers=1)
    sign_in(page, live, worker.email)
    page.goto(live.url + "/account/password")
    box = page.get_by_label("E-mail me when a job of my teams has new work")
    expect(box).to_be_checked()
    box.uncheck()
    page.locator("#notifications").get_by_role("button", name="Save").click()
    expect(page.locator("#notifications")).to_contain_text("Saved.")
    expect(page.get_by_label("E-mail me when a job of my teams has new work")).not_to_be_checked()
    assert workforce.email_notifications(live.dep, worker.id) is False
    page.get_by_label("E-mail me when a job of my teams has new work").check()
    page.locator("#notifications").get_by_role("button", name="Save").click()
    expect(page.locator("#notifications")).to_contain_text("Saved.")
    assert workforce.email_notifications(live.dep, worker.id) is True
