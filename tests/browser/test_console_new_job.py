"""The New job form with Ground Truth's automated data setup: a folder (inside the data roots)
or an S3 prefix instead of a manifest, a preview of the first objects, then the job."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live
from tests.browser.test_console import sign_in
from tests.support.factories import make_admin, make_team, write_images
from truthset import jobs


def test_a_job_from_a_folder_with_a_preview(page: Page, live: Live) -> None:
    make_admin(live.dep)
    make_team(live.dep, workers=1)
    root = live.dep.settings.data_dir.resolve()
    images = write_images(root / "mammo", 12)
    (root / "mammo" / "notes.txt").write_text("not an image")
    sign_in(page, live, "admin@example.org")
    page.goto(live.url + "/console/jobs/new")
    form = page.locator("#input-data")
    form.get_by_label("or build it from a folder or S3 prefix").fill("/etc")
    page.get_by_role("button", name="Preview the input").click()
    expect(page.locator("#form-error")).to_contain_text("outside the allowed data roots")

    page.get_by_label("Job name").fill("from-a-folder")
    form.get_by_label("or build it from a folder or S3 prefix").fill(str(root / "mammo"))
    page.get_by_label("Output folder").fill(str(root / "out"))
    page.get_by_label("Labels, comma-separated").fill("Left-CC, Right-CC")
    page.get_by_role("button", name="Preview the input").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("12 objects; the first 10:")
    expect(preview.locator("li")).to_have_count(10)
    expect(preview.locator("li").first).to_have_text(str(images[0]))
    # The form keeps what was typed.
    expect(page.get_by_label("Job name")).to_have_value("from-a-folder")
    page.get_by_role("button", name="Create job").click()
    expect(page).to_have_url(live.url + "/console/jobs/from-a-folder")

    job = jobs.describe_job(live.dep, "from-a-folder")
    assert job.object_count == 12
    assert re.fullmatch(
        rf"{re.escape(str(root / 'mammo'))}/dataset-\d{{6}}T\d{{6}}\.manifest", job.manifest_uri
    )
    written = Path(job.manifest_uri).read_text().splitlines()
    assert len(written) == 12 and str(images[0]) in written[0]


def test_preview_needs_an_admin_and_the_forms_token(page: Page, live: Live) -> None:
    make_admin(live.dep)
    (worker,) = make_team(live.dep, workers=1)
    root = live.dep.settings.data_dir.resolve()
    write_images(root / "mammo", 2)
    sign_in(page, live, "admin@example.org")
    refused = page.request.post(
        live.url + "/console/jobs/preview", form={"source": str(root / "mammo")}
    )
    assert refused.status == 403
    page.context.clear_cookies()
    sign_in(page, live, worker.email)
    page.goto(live.url + "/portal")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    as_worker = page.request.post(
        live.url + "/console/jobs/preview",
        form={"source": str(root / "mammo"), "csrf_token": token},
    )
    assert as_worker.status == 403
    assert "admin" in as_worker.text()
