"""An admin creates a job with adaptive workers per object in the console form; the job page
shows the settings and the live estimate of the answers and worker hours still needed."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live
from tests.browser.test_console import sign_in
from tests.support.factories import answer, make_admin, make_team, write_images, write_manifest
from truthset import dispatch, jobs


def test_adaptive_job_from_the_form_shows_its_estimate(page: Page, live: Live, shots: Path) -> None:
    make_admin(live.dep)
    workers = make_team(live.dep, workers=3)
    root = live.dep.settings.data_dir.resolve()
    images = write_images(root / "scans", 6)
    manifest = write_manifest(root / "scans.manifest", [{"source-ref": str(p)} for p in images])
    sign_in(page, live, "admin@example.org")
    page.goto(live.url + "/console/jobs/new")
    page.get_by_label("Job name").fill("scans")
    page.get_by_label("Input manifest").fill(str(manifest))
    page.get_by_label("Output folder").fill(str(root / "out"))
    page.get_by_label("Labels, comma-separated").fill("Right-CC, Left-CC")
    page.get_by_label("Workers per object").fill("3")
    page.get_by_label("Adaptive: first ask").fill("2")
    page.get_by_label("Adaptive: target confidence").fill("0.9")
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_role("heading", name="scans")).to_be_visible()
    expect(page.locator("#job-status")).to_have_text("InProgress", timeout=15_000)
    assert jobs.describe_job(live.dep, "scans").options["adaptive"] == {
        "min_workers_per_object": 2,
        "target_confidence": 0.9,
    }
    for worker in workers[:2]:
        task = dispatch.next_task(live.dep, worker, "scans")
        assert task is not None
        dispatch.submit_answer(live.dep, worker, task.task_id, answer("Left-CC"))
    page.reload()
    expect(page.locator(".details")).to_contain_text("2 to 3, until the label's confidence")
    expect(page.locator("#estimate")).to_contain_text("more answers, about")
    page.screenshot(path=str(shots / "console-adaptive-job.png"))
