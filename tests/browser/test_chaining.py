"""An admin in Chromium: a streaming job from the New job form, and the Clone and Chain actions
on a job's page (a chain that keeps the label attribute sends only the unlabeled objects)."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live
from tests.browser.test_console import sign_in
from tests.support.factories import make_admin, make_team, write_manifest
from truthset import dispatch, jobs


def _wait_status(live: Live, name: str, status: str) -> None:
    deadline = time.monotonic() + 30
    while jobs.describe_job(live.dep, name).status != status:
        assert time.monotonic() < deadline, jobs.describe_job(live.dep, name).status
        time.sleep(0.1)


def _half_labeled_job(live: Live) -> None:
    """A text job of 4 objects, 2 labeled, then stopped."""
    [worker] = make_team(live.dep, workers=1)
    root = live.dep.settings.data_dir.resolve()
    manifest = write_manifest(root / "notes.manifest", [{"source": f"note {n}"} for n in range(4)])
    request = jobs.JobRequest(
        name="notes",
        manifest=str(manifest),
        output=str(root / "out"),
        task_type="text-classification",
        team="radiologists",
        labels=["urgent", "routine"],
        workers_per_object=1,
    )
    jobs.create_job(live.dep, request)
    for _ in range(2):
        task = dispatch.next_task(live.dep, worker, "notes")
        assert task is not None
        answer = {"crowd-classifier": {"label": "urgent"}}
        dispatch.submit_answer(live.dep, worker, task.task_id, answer)
    jobs.stop_job(live.dep, "notes")
    _wait_status(live, "notes", "Stopped")


def test_streaming_job_clone_and_chain_from_the_console(
    page: Page, live: Live, shots: Path
) -> None:
    make_admin(live.dep)
    _half_labeled_job(live)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live, "admin@example.org")

    page.get_by_role("link", name="New job").click()
    page.get_by_label("Job name").fill("incoming")
    page.locator("select[name=task_type]").select_option("text-classification")
    page.get_by_label("Output folder").fill(str(live.dep.settings.data_dir.resolve() / "out"))
    page.get_by_label("Labels, comma-separated").fill("urgent, routine")
    page.get_by_label("Streaming job").check()
    page.get_by_role("button", name="Create job").click()
    expect(page).to_have_url(live.url + "/console/jobs/incoming")
    expect(page.locator("#streaming-badge")).to_be_visible()
    _wait_status(live, "incoming", "InProgress")

    page.goto(live.url + "/console/jobs/notes")
    page.get_by_label("Clone name").fill("notes-again")
    page.get_by_role("button", name="Clone").click()
    expect(page).to_have_url(live.url + "/console/jobs/notes-again")
    _wait_status(live, "notes-again", "InProgress")
    clone = jobs.describe_job(live.dep, "notes-again")
    assert clone.object_count == 4 and clone.manifest_uri.endswith("notes.manifest")

    page.goto(live.url + "/console/jobs/notes")
    page.get_by_label("Chain name").fill("notes-rest")
    page.screenshot(path=str(shots / "console-chain.png"), full_page=True)
    page.get_by_role("button", name="Chain").click()
    expect(page).to_have_url(live.url + "/console/jobs/notes-rest")
    _wait_status(live, "notes-rest", "InProgress")
    chained = jobs.describe_job(live.dep, "notes-rest")
    assert chained.object_count == 2  # only the objects without the label
    assert chained.manifest_uri == jobs.describe_job(live.dep, "notes").output_manifest

    page.goto(live.url + "/console/jobs/notes")
    page.get_by_label("Chain name").fill("notes-priority")
    page.get_by_label("Chain label attribute name").fill("priority")
    page.get_by_role("button", name="Chain").click()
    expect(page).to_have_url(live.url + "/console/jobs/notes-priority")
    _wait_status(live, "notes-priority", "InProgress")
    assert jobs.describe_job(live.dep, "notes-priority").object_count == 4  # a new label: all

    page.goto(live.url + "/console/jobs/incoming")
    expect(page.locator("#chain-form")).to_have_count(0)  # running: chain once it has ended
    page.get_by_label("Clone name").fill("notes")
    page.get_by_role("button", name="Clone").click()
    expect(page.locator("#action-error")).to_contain_text("already exists")
