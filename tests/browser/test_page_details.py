"""The small things that make pages look finished: durations in words, buttons and e-mail
addresses on one line, a favicon, and a 404 page with the navigation."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live
from tests.browser.test_console import sign_in
from tests.support.factories import make_admin, make_job, make_team
from truthset import workforce

ONE_LINE = "el => { const r = document.createRange(); r.selectNodeContents(el); return r.getClientRects().length; }"


def test_durations_buttons_and_addresses(page: Page, live: Live) -> None:
    make_admin(live.dep)
    make_team(live.dep, workers=0)
    long_address = "dr.anna-maria.van-der-berg-lindqvist@radiology.university-hospital.example"
    workforce.create_workers(live.dep, [long_address], "radiologists", "a long password")
    make_job(live.dep, objects=1, task_time_limit=300)
    page.set_viewport_size({"width": 640, "height": 800})
    sign_in(page, live, "admin@example.org")
    page.goto(live.url + "/console/jobs/views")
    details = page.locator("dl.details")
    expect(details).to_contain_text("Task time limit5 minutes")
    expect(details).to_contain_text("Task availability30 days")
    buttons = page.locator(".page-head .actions .button, .page-head .actions button")
    assert buttons.count() >= 2
    for index in range(buttons.count()):
        assert buttons.nth(index).evaluate(ONE_LINE) == 1, buttons.nth(index).inner_text()
    page.goto(live.url + "/console/teams/radiologists")
    cell = page.locator("#members td.email", has_text=long_address)
    assert cell.evaluate(ONE_LINE) == 1


def test_favicon_and_the_404_page_with_navigation(page: Page, live: Live) -> None:
    icon = page.request.get(live.url + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in icon.body()
    make_admin(live.dep)
    sign_in(page, live, "admin@example.org")
    for path in ("/console/jobs/no-such-job", "/no/such/page"):
        response = page.goto(live.url + path)
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        navigation = page.get_by_role("navigation")
        expect(navigation.get_by_role("link", name="Jobs")).to_be_visible()
        expect(navigation.get_by_role("link", name="Teams")).to_be_visible()
    assert page.request.get(live.url + "/api/v1/no-such-route").status == 404


def test_portal_says_the_time_per_task_in_words(page: Page, live: Live) -> None:
    (worker,) = make_team(live.dep, workers=1)
    make_job(live.dep, objects=1, task_time_limit=90)
    page.goto(live.url + "/login")
    page.get_by_label("E-mail").fill(worker.email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("1 minute 30 seconds per task")).to_be_visible()
