"""The work page as a worker meets it: progress, a confirmation on submit, the done page with
nothing left of the work bar, the countdown of a prefetched task starting when it is shown, and
a job still being set up (409 not_ready) waited for instead of taken for finished."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from playwright.sync_api import Page, Route, expect
from sqlalchemy import update

from tests.browser.conftest import Live
from tests.support.factories import PASSWORD, make_job, make_team
from truthset.db.tables import Task
from truthset.workforce import UserInfo

VISIBLE_FRAME = "iframe:not([hidden])"


def start_working(page: Page, live: Live, worker: UserInfo) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("E-mail").fill(worker.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Start working").click()


def submit_first_label(page: Page) -> None:
    task = page.locator(VISIBLE_FRAME).get_attribute("data-task")
    expect(page.frame_locator(VISIBLE_FRAME).get_by_role("button", name="Left-CC")).to_be_visible()
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "task => { const f = document.querySelector('iframe:not([hidden])');"
        " return !f || f.dataset.task !== task; }",
        arg=task,
    )


def test_progress_confirmation_and_a_clean_done_page(page: Page, live: Live) -> None:
    (worker,) = make_team(live.dep, workers=1)
    make_job(live.dep, objects=2, workers_per_object=1)
    start_working(page, live, worker)
    progress = page.locator("#progress")
    expect(progress).to_have_text("0 of 2 done in this job · 0 by you")
    submit_first_label(page)
    expect(page.locator("#status")).to_have_text("Submitted. Thank you!")
    expect(progress).to_contain_text("· 1 by you")
    submit_first_label(page)
    expect(page.get_by_role("heading", name="No more work for you in this job")).to_be_visible()
    for control in ("#timer", "#release", "#decline", "#frames"):
        expect(page.locator(control)).to_be_hidden()
    expect(progress).to_have_text("2 of 2 done in this job · 2 by you")


def test_a_prefetched_tasks_countdown_starts_when_it_is_shown(page: Page, live: Live) -> None:
    (worker,) = make_team(live.dep, workers=1)
    make_job(live.dep, objects=2, workers_per_object=1, task_time_limit=300)
    start_working(page, live, worker)
    expect(page.locator("#frames iframe")).to_have_count(2)  # the next task is prefetched
    prefetched = int(page.locator("#frames iframe[hidden]").get_attribute("data-task") or 0)
    # As if the worker spent two minutes on the first task: the prefetched one was leased then.
    with live.dep.db.write() as conn:
        conn.execute(
            update(Task)
            .where(Task.id == prefetched)
            .values(
                leased_at=Task.leased_at - timedelta(seconds=120),
                expires_at=Task.expires_at - timedelta(seconds=120),
            )
        )
    submit_first_label(page)
    expect(page.locator(VISIBLE_FRAME)).to_have_attribute("data-task", str(prefetched))
    # The full five minutes from now, not the three left since it was fetched.
    expect(page.locator("#timer")).to_have_text(re.compile(r"^(05:00|04:5\d)$"))


def test_a_job_still_being_set_up_is_waited_for(page: Page, live: Live) -> None:
    (worker,) = make_team(live.dep, workers=1)
    make_job(live.dep, objects=1, workers_per_object=1)
    refused: list[str] = []

    def not_ready_once(route: Route) -> None:
        if refused:
            route.continue_()
            return
        refused.append(route.request.url)
        body = {"error": {"type": "not_ready", "message": "still storing its objects"}}
        route.fulfill(
            status=409,
            headers={"Retry-After": "1", "Content-Type": "application/json"},
            body=json.dumps(body),
        )

    page.route("**/next-task", not_ready_once)
    start_working(page, live, worker)
    expect(page.locator("#status")).to_contain_text("still being set up")
    expect(page.frame_locator(VISIBLE_FRAME).get_by_role("button", name="Left-CC")).to_be_visible()
    assert len(refused) == 1
    expect(page.get_by_role("heading", name="No more work for you in this job")).to_be_hidden()
