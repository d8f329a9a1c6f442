"""The console job page shows each worker's activity (Ground Truth's worker metrics)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live
from tests.browser.test_console import sign_in
from tests.support.factories import VIEWS, answer, make_admin, make_job, make_team
from truthset import dispatch
from truthset.background.runner import run_job


def test_job_page_worker_activity(page: Page, live: Live, shots: Path) -> None:
    dep = live.dep
    make_admin(dep)
    worker, other = make_team(dep, "radiologists", workers=2)
    job = make_job(dep, "views", objects=3, workers_per_object=2)
    run_job(dep, job.id, "test")
    first = dispatch.next_task(dep, worker, "views")
    assert first is not None
    dispatch.submit_answer(dep, worker, first.task_id, answer(VIEWS[0]))
    second = dispatch.next_task(dep, worker, "views")
    assert second is not None
    dispatch.decline(dep, worker, second.task_id)
    assert dispatch.next_task(dep, other, "views") is not None

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live, "admin@example.org")
    page.goto(live.url + "/console/jobs/views")
    section = page.locator("#worker-activity")
    expect(section).to_contain_text("1 active worker")
    rows = section.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(worker.email)
    cells = rows.nth(0).locator("td")
    expect(cells.nth(1)).to_have_text("2")  # accepted
    expect(cells.nth(2)).to_have_text("1")  # submitted
    expect(cells.nth(3)).to_have_text("1")  # declined
    expect(rows.nth(2)).to_contain_text("All workers")
    expect(rows.nth(2).locator("td").nth(1)).to_have_text("3")
    section.screenshot(path=str(shots / "console-worker-activity.png"))
