"""The console's job page while colleagues answer: objects and the answers collected on them
per object state, kept current without a reload (not only the labeled objects)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live
from tests.browser.test_console import sign_in
from tests.support.factories import answer, make_admin, make_job, make_team
from truthset import dispatch
from truthset.workforce import UserInfo


def answer_all(live: Live, worker: UserInfo) -> None:
    while (task := dispatch.next_task(live.dep, worker, "views")) is not None:
        dispatch.submit_answer(live.dep, worker, task.task_id, answer("Left-CC"))


def test_job_page_shows_answers_per_object_state(page: Page, live: Live) -> None:
    make_admin(live.dep)
    first, second, third = make_team(live.dep, workers=3)
    make_job(live.dep, objects=4, workers_per_object=3)
    answer_all(live, first)
    answer_all(live, second)
    sign_in(page, live, "admin@example.org")
    page.goto(live.url + "/console/jobs/views")
    answers = page.locator("#answers")
    expect(answers).to_contain_text("8 answers collected so far; each object needs 3.")
    open_row = answers.locator("tr[data-state=open]")
    expect(open_row).to_contain_text("With workers")
    expect(open_row.locator("td").nth(1)).to_have_text("4")
    expect(open_row.locator("td").nth(2)).to_have_text("8 of 12")
    expect(page.locator('[data-counter="TotalLabeled"]')).to_have_text("0")

    task = dispatch.next_task(live.dep, third, "views")
    assert task is not None
    dispatch.submit_answer(live.dep, third, task.task_id, answer("Left-CC"))
    # The background runner consolidates the object; the page follows without a reload.
    expect(answers.locator("tr[data-state=labeled] td").nth(1)).to_have_text("1")
    expect(open_row.locator("td").nth(2)).to_have_text("6 of 9")
    expect(answers).to_contain_text("9 answers collected so far")
    expect(page.locator('[data-counter="TotalLabeled"]')).to_have_text("1")
