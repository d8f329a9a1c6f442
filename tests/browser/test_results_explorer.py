"""An admin in Chromium looks at a job's results: the grid and its filters, one object with
every worker's answer drawn over the image, the posterior, an override, and the charts."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Live
from tests.browser.test_console import sign_in
from tests.browser.test_portal import wait_for
from tests.support.factories import VIEWS, answer, make_admin, make_job, make_team
from truthset import dispatch, jobs
from truthset.background.runner import run_job
from truthset.deployment import Deployment

SPLIT = {0: ["Left-CC"] * 3, 1: ["Right-MLO", "Right-MLO", "Left-MLO"], 2: ["Left-CC"] * 3}


def label(dep: Deployment, name: str, workers: list, answers: dict[int, list[object]]) -> None:  # type: ignore[type-arg]
    for index, worker in enumerate(workers):
        while (task := dispatch.next_task(dep, worker, name)) is not None:
            dispatch.submit_answer(dep, worker, task.task_id, answers[task.object_id][index])
    run_job(dep, jobs.describe_job(dep, name).id, "test")


def box(left: int, top: int) -> dict[str, object]:
    return {
        "boundingBox": {
            "boundingBoxes": [
                {"label": "Left-CC", "left": left, "top": top, "width": 40, "height": 30}
            ],
            "inputImageProperties": {"width": 120, "height": 90},
        }
    }


def test_results_grid_object_page_override_and_charts(page: Page, live: Live, shots: Path) -> None:
    dep = live.dep
    make_admin(dep)
    workers = make_team(dep, workers=3)
    make_job(dep, objects=3, workers_per_object=3)
    label(dep, "views", workers, {k: [answer(x) for x in v] for k, v in SPLIT.items()})
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live, "admin@example.org")
    page.goto(f"{live.url}/console/jobs/views")
    page.get_by_role("link", name="Results").click()
    expect(page.locator("#result-count")).to_have_text("3 objects match")
    expect(page.locator(".object-tile")).to_have_count(3)
    # Thumbnails are the objects' own images, served to the admin.
    page.wait_for_function(
        "[...document.querySelectorAll('.object-tile img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    page.screenshot(path=str(shots / "results-grid.png"), full_page=True)
    page.get_by_label("workers disagree").check()
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#result-count")).to_have_text("1 object matches")
    expect(page.locator(".object-tile")).to_contain_text("Right-MLO")
    page.get_by_label("workers disagree").uncheck()
    page.get_by_label("Label", exact=True).select_option("Left-CC")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".object-tile")).to_have_count(2)
    page.get_by_label("Label", exact=True).select_option("")
    page.get_by_label("Sort").select_option("confidence")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".object-tile").first).to_have_attribute("data-object", "1")

    page.locator('.object-tile[data-object="1"]').click()
    expect(page.get_by_role("heading", name=re.compile("Object 1"))).to_be_visible()
    expect(page.locator("#answers li")).to_have_count(3)
    expect(page.locator("#answers")).to_contain_text("Left-MLO")
    top = page.locator("#posterior span").first
    expect(top).to_have_text("Right-MLO")
    page.screenshot(path=str(shots / "results-object.png"), full_page=True)
    page.get_by_label("Label to set").select_option("Left-MLO")
    page.get_by_role("button", name="Override label").click()
    expect(page.locator("#overridden")).to_have_text("set by an admin")
    expect(page.locator("#object-label")).to_contain_text("Left-MLO")
    expect(page.locator("#output-label")).to_contain_text('"truthset-override"')

    page.goto(f"{live.url}/console/jobs/views/charts")
    expect(page.locator("#job-charts figure")).to_have_count(5)
    expect(page.locator("#worker-charts figure")).to_have_count(3)
    page.wait_for_function(
        "[...document.querySelectorAll('figure img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    page.screenshot(path=str(shots / "results-charts.png"), full_page=True)
    labels = page.request.get(f"{live.url}/console/jobs/views/charts/labels.svg")
    assert labels.headers["content-type"].startswith("image/svg+xml")
    text = labels.text()
    assert "Left-CC" in text and "Left-MLO" in text
    download = page.request.get(f"{live.url}/console/jobs/views/charts/labels.svg?download=true")
    assert "attachment" in download.headers["content-disposition"]


def test_boxes_of_each_worker_are_drawn_and_toggled(page: Page, live: Live) -> None:
    dep = live.dep
    make_admin(dep)
    workers = make_team(dep, workers=3)
    make_job(dep, name="boxes", objects=1, workers_per_object=3, task_type="bounding-box")
    label(dep, "boxes", workers, {0: [box(5, 5), box(40, 20), box(70, 50)]})
    sign_in(page, live, "admin@example.org")
    page.goto(f"{live.url}/console/jobs/boxes/objects/0")
    expect(page.locator("#viewer svg [data-shape=box]")).to_have_count(3)
    first = page.locator('#viewer svg[data-layer="0"]')
    expect(first).to_be_visible()
    page.locator('[data-toggle="0"]').uncheck()
    expect(first).to_be_hidden()
    page.locator('[data-toggle="0"]').check()
    expect(first).to_be_visible()


def test_the_explorer_is_for_admins_only(page: Page, live: Live) -> None:
    make_team(live.dep, workers=1)
    make_job(live.dep, objects=1, workers_per_object=1)
    sign_in(page, live, "worker0@radiologists.example.org")
    for path in ("results", "objects/0", "objects/0/media", "charts", "charts/labels.svg"):
        response = page.request.get(f"{live.url}/console/jobs/views/{path}")
        assert response.status in (401, 403), (path, response.status)


def test_send_back_from_the_object_page_to_a_worker_in_the_portal(
    page: Page, live: Live, browser: Browser, shots: Path
) -> None:
    dep = live.dep
    make_admin(dep)
    workers = make_team(dep, workers=3)
    make_job(dep, objects=1, workers_per_object=2)
    # Two workers split: the third answer decides.
    label(dep, "views", workers[:2], {0: [answer("Left-CC"), answer("Right-MLO")]})
    assert jobs.describe_job(dep, "views").status == "Completed"
    sign_in(page, live, "admin@example.org")
    page.goto(f"{live.url}/console/jobs/views/objects/0")
    expect(page.get_by_role("heading", name="Answers (2)")).to_be_visible()
    page.get_by_label("More answers").fill("1")
    page.get_by_role("button", name="Send back for more answers").click()
    expect(page.locator("#sent-back")).to_be_visible()
    expect(page.locator("h1 .status")).to_have_text("open")
    expect(page.locator("#object-label")).to_contain_text("not labeled yet")
    expect(page.locator("#send-back-form")).to_have_count(0)  # not while it is out again

    worker = browser.new_context()
    portal = worker.new_page()
    sign_in(portal, live, "worker2@radiologists.example.org")
    portal.get_by_role("link", name="Start working").click()
    button = portal.frame_locator("iframe:not([hidden])").get_by_role("button", name="Right-MLO")
    expect(button).to_be_visible()
    portal.keyboard.press(str(VIEWS.index("Right-MLO") + 1))
    expect(button).to_have_attribute("aria-pressed", "true")
    portal.keyboard.press("Enter")
    expect(portal.get_by_role("heading", name="No more work for you in this job")).to_be_visible()
    worker.close()

    wait_for(lambda: jobs.describe_job(dep, "views").status == "Completed")
    page.goto(f"{live.url}/console/jobs/views/objects/0")
    expect(page.get_by_role("heading", name="Answers (3)")).to_be_visible()
    expect(page.locator("h1 .status")).to_have_text("labeled")
    expect(page.locator("#object-label strong")).to_have_text("Right-MLO")
    page.screenshot(path=str(shots / "results-sent-back.png"), full_page=True)
