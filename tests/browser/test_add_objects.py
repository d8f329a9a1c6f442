"""An admin in Chromium adds objects to a running streaming job from its page (pasted JSON
Lines and an uploaded manifest, checked as `POST /api/v1/jobs/{name}/objects` checks them); a
worker can neither see nor post the form, and a post without the form's token is refused."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Live
from tests.browser.test_console import sign_in
from tests.support.factories import make_admin, make_team
from truthset import dispatch, jobs


def _streaming_job(live: Live) -> None:
    root = live.dep.settings.data_dir.resolve()
    request = jobs.JobRequest(
        name="triage",
        manifest="",
        output=str(root / "out"),
        task_type="text-classification",
        team="radiologists",
        labels=["urgent", "routine"],
        workers_per_object=1,
        options={"streaming": True},
    )
    jobs.create_job(live.dep, request)
    deadline = time.monotonic() + 30
    while jobs.describe_job(live.dep, "triage").status != "InProgress":
        assert time.monotonic() < deadline
        time.sleep(0.1)


def _lines(*lines: dict[str, str]) -> str:
    return "".join(json.dumps(line) + "\n" for line in lines)


@pytest.mark.usefixtures("no_page_errors")
def test_add_objects_from_the_job_page(page: Page, live: Live, shots: Path, tmp_path: Path) -> None:
    make_admin(live.dep)
    [worker] = make_team(live.dep, workers=1)
    _streaming_job(live)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live, "admin@example.org")
    page.goto(live.url + "/console/jobs/triage")

    keyed = {"source": "chest pain", "dataset-objectid-attribute-name": "note", "note": "n-1"}
    page.get_by_label("Manifest lines").fill(_lines(keyed, {"source": "sprained ankle"}))
    page.get_by_role("button", name="Add objects").click()
    expect(page.locator("#add-result")).to_have_text("Added 2 objects.")
    expect(page.locator('[data-counter="Unlabeled"]')).to_have_text("2")

    manifest = tmp_path / "more.manifest"
    manifest.write_text(_lines(keyed, {"source": "headache"}))  # the first one again
    page.get_by_label("or a manifest file").set_input_files(str(manifest))
    page.get_by_role("button", name="Add objects").click()
    expect(page.locator("#add-result")).to_contain_text("Added 1 object; 1 duplicate left out")
    expect(page.locator('[data-counter="Unlabeled"]')).to_have_text("3")
    page.screenshot(path=str(shots / "console-add-objects.png"), full_page=True)

    handed_out = []
    while (task := dispatch.next_task(live.dep, worker, "triage")) is not None:
        handed_out.append(task.object_id)
        answer = {"crowd-classifier": {"label": "urgent"}}
        dispatch.submit_answer(live.dep, worker, task.task_id, answer)
    assert sorted(handed_out) == [0, 1, 2]

    bad = _lines({"source": "fine"}) + "{not json\n" + _lines({"other": "no source"})
    page.get_by_label("Manifest lines").fill(bad)
    page.get_by_role("button", name="Add objects").click()
    error = page.locator("#add-error")
    expect(error).to_contain_text("Nothing was stored")
    expect(error).to_contain_text("line 2")
    expect(error).to_contain_text("line 3")
    expect(page.get_by_label("Manifest lines")).to_have_value(bad)  # kept to be fixed
    assert jobs.describe_job(live.dep, "triage").object_count == 3
    # The error page (the form's answer) still follows the job: the runner labels the three.
    expect(page.locator('[data-counter="TotalLabeled"]')).to_have_text("3", timeout=15_000)


def test_the_form_needs_an_admin_and_its_token(page: Page, live: Live) -> None:
    make_admin(live.dep)
    [worker] = make_team(live.dep, workers=1)
    _streaming_job(live)
    url = live.url + "/console/jobs/triage/objects"
    line = _lines({"source": "sneaked in"})

    sign_in(page, live, "admin@example.org")
    refused = page.request.post(url, multipart={"lines": line})  # no csrf_token
    assert refused.status == 403
    assert "form expired" in refused.text()

    page.context.clear_cookies()
    sign_in(page, live, worker.email)
    page.goto(live.url + "/console/jobs/triage")
    expect(page.locator("#add-objects-form")).to_have_count(0)
    page.goto(live.url + "/portal")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    as_worker = page.request.post(url, multipart={"lines": line, "csrf_token": token})
    assert as_worker.status == 403
    assert "admin" in as_worker.text()
    assert jobs.describe_job(live.dep, "triage").object_count == 0
