"""A worker's day in Chromium: invitation, password, portal, labeling by keyboard only."""

from __future__ import annotations

import json
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live
from tests.support.factories import VIEWS, make_job, make_team
from truthset import jobs, workforce


def wait_for(predicate, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_invitation_to_labeled_output_by_keyboard(page: Page, live: Live, shots: Path) -> None:
    make_team(live.dep, workers=0)
    make_job(live.dep, objects=3, workers_per_object=1, title="Which view is this?")
    (invitation,) = workforce.invite(live.dep, "radiologists", ["reader@example.org"])
    assert invitation.url

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(invitation.url)
    expect(page.get_by_text("reader@example.org")).to_be_visible()
    page.get_by_label("New password").fill("a long password")
    page.get_by_label("Repeat it").fill("a long password")
    page.get_by_role("button", name="Set password and continue").click()
    expect(page.get_by_role("heading", name="Your labeling jobs")).to_be_visible()
    expect(page.get_by_text("3 items left for you")).to_be_visible()
    page.screenshot(path=str(shots / "portal-jobs.png"))

    page.get_by_role("link", name="Start working").click()
    frame = page.frame_locator("iframe:not([hidden])")
    chosen = ["Right-MLO", "Left-CC", "Not a mammography"]
    shown: list[str] = []
    for label in chosen:
        # Wait for the next task's frame, not the one just submitted (it stays until the swap).
        page.wait_for_function(
            "seen => { const f = document.querySelector('iframe:not([hidden])');"
            " return f && !seen.includes(f.dataset.task); }",
            arg=shown,
        )
        shown.append(page.locator("iframe:not([hidden])").get_attribute("data-task") or "")
        button = frame.get_by_role("button", name=label)
        expect(button).to_be_visible()
        expect(page.locator("#timer")).not_to_have_text("--:--")
        page.keyboard.press(str(VIEWS.index(label) + 1))
        expect(button).to_have_attribute("aria-pressed", "true")
        if label == chosen[0]:
            page.screenshot(path=str(shots / "portal-task.png"))
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="No more work for you in this job")).to_be_visible()

    job = jobs.describe_job(live.dep, "views")
    wait_for(lambda: jobs.describe_job(live.dep, "views").status == "Completed")
    lines = [json.loads(x) for x in Path(job.output_manifest).read_text().splitlines()]
    assert sorted(line["views-metadata"]["class-name"] for line in lines) == sorted(chosen)
    assert all(line["views-metadata"]["confidence"] == 0.0 for line in lines)


def test_decline_release_and_wrong_password(page: Page, live: Live) -> None:
    (worker,) = make_team(live.dep, workers=1)
    make_job(live.dep, objects=3, workers_per_object=1)
    page.goto(live.url + "/login")
    page.get_by_label("E-mail").fill(worker.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("wrong e-mail address or password")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Start working").click()
    expect(
        page.frame_locator("iframe:not([hidden])").get_by_role("button", name="Left-CC")
    ).to_be_visible()
    page.get_by_role("button", name="Decline").click()
    expect(page.locator("#status")).to_contain_text("Declined")
    page.get_by_role("button", name="Release").click()
    expect(page.locator("#status")).to_contain_text("Released")
    wait_for(lambda: jobs.describe_job(live.dep, "views").counters.failed == 1)
