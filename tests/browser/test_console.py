"""An admin in Chromium: sign in, create a team, invite, create a job with the form, stop it."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live
from tests.support.factories import make_admin, write_images, write_manifest


def sign_in(page: Page, live: Live, email: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()


def test_team_invitation_and_job_creation(page: Page, live: Live, shots: Path) -> None:
    make_admin(live.dep)
    root = live.dep.settings.data_dir.resolve()
    images = write_images(root / "mammo", 4)
    manifest = write_manifest(root / "mammo.manifest", [{"source-ref": str(p)} for p in images])
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live, "admin@example.org")
    expect(page.get_by_role("heading", name="Labeling jobs")).to_be_visible()

    page.get_by_role("link", name="Teams").click()
    page.get_by_label("Team name").fill("radiologists")
    page.get_by_label("Description").fill("Breast imaging")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name="radiologists")).to_be_visible()
    page.get_by_label("E-mail addresses").fill("doc1@example.org, doc2@example.org")
    page.get_by_role("button", name="Invite").click()
    expect(page.locator("#invitations")).to_contain_text("send these links yourself")
    link = page.get_by_label("invitation link for doc1@example.org").input_value()
    assert link.startswith(live.url + "/invite/")
    expect(page.locator("#members")).to_contain_text("invited")
    page.screenshot(path=str(shots / "console-team.png"))

    page.get_by_role("navigation").get_by_role("link", name="Jobs").click()
    page.get_by_role("link", name="New job").click()
    page.get_by_label("Job name").fill("bad name")
    page.get_by_label("Input manifest").fill(str(manifest))
    page.get_by_label("Output folder").fill(str(root / "out"))
    page.get_by_label("Labels, comma-separated").fill(
        "Right-CC, Left-CC, Right-MLO, Left-MLO, Not a mammography"
    )
    page.screenshot(path=str(shots / "console-new-job.png"), full_page=True)
    # The browser's own pattern check stops this one; the server check is tested below.
    page.get_by_role("button", name="Create job").click()
    expect(page).to_have_url(live.url + "/console/jobs/new")
    page.get_by_label("Job name").fill("mammo-views")
    page.get_by_label("Workers per object").fill("2")
    page.get_by_label("Input manifest").fill("/etc/passwd")
    page.get_by_role("button", name="Create job").click()
    expect(page.locator("#form-error")).to_contain_text("outside the allowed data roots")
    page.get_by_label("Input manifest").fill(str(manifest))
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_role("heading", name="mammo-views")).to_be_visible()
    # The page follows the job by itself: Initializing -> InProgress without a reload.
    expect(page.locator("#job-status")).to_have_text("InProgress", timeout=15_000)
    expect(page.locator('[data-counter="Unlabeled"]')).to_have_text("4")
    page.screenshot(path=str(shots / "console-job.png"))
    page.get_by_role("button", name="Stop job").click()
    expect(page.locator("#job-status")).to_have_text(re.compile("Stopping|Stopped"))
    expect(page.locator("#job-status")).to_have_text("Stopped", timeout=15_000)
    expect(page.get_by_role("link", name="Download output manifest")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download output manifest").click()
    assert download.value.path().read_text().count("\n") == 4
    page.get_by_role("navigation").get_by_role("link", name="Jobs").click()
    expect(page.get_by_role("link", name="mammo-views")).to_be_visible()
    page.screenshot(path=str(shots / "console-jobs.png"))
