"""An admin exports a labeled job from its console page in Chromium: the Export button starts
the export, the page follows it to Completed and the download link gives the zip (read back by
pycocotools)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pycocotools.coco import COCO

from tests.browser.conftest import Live
from tests.browser.test_console import sign_in
from tests.exports.jobs import boxes, labeled_job
from tests.support.factories import make_admin, make_team
from truthset import jobs

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]


def wait_until_completed(live: Live, name: str) -> None:
    deadline = time.monotonic() + 60
    while jobs.describe_job(live.dep, name).status != "Completed":
        assert time.monotonic() < deadline, "the server's runner did not finish the job"
        time.sleep(0.2)


def test_export_button_and_download(page: Page, live: Live, shots: Path, tmp_path: Path) -> None:
    make_admin(live.dep)
    workers = make_team(live.dep, workers=2)
    answer = boxes(("car", 4, 5, 20, 10), ("pedestrian", 30, 8, 6, 30))
    labeled_job(live.dep, workers, "street", "bounding-box", lambda w, o: answer, finish=False)
    wait_until_completed(live, "street")

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live, "admin@example.org")
    page.goto(live.url + "/console/jobs/street")
    options = page.locator("#export-format option")
    expect(options).to_have_count(4)
    assert [o.get_attribute("value") for o in options.all()] == ["coco", "yolo", "voc", "hf"]
    page.locator("#export-format").select_option("coco")
    page.get_by_role("button", name="Export").click()
    expect(page).to_have_url(live.url + "/console/jobs/street#exports")
    row = page.locator("#export-list tbody tr").first
    expect(row.locator('[data-field="status"]')).to_have_text("Completed", timeout=20_000)
    expect(row.locator('[data-field="objects"]')).to_have_text("2")
    link = row.get_by_role("link", name="Download")
    expect(link).to_contain_text("street-coco-")
    page.locator("#exports").screenshot(path=str(shots / "console-export.png"))

    with page.expect_download() as info:
        link.click()
    archive = tmp_path / "export.zip"
    info.value.save_as(archive)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(tmp_path / "coco")
    coco = COCO(str(tmp_path / "coco" / "annotations.json"))
    found = coco.loadAnns(coco.getAnnIds(imgIds=[0]))
    assert [(coco.cats[a["category_id"]]["name"], a["bbox"]) for a in found] == [
        ("car", [4, 5, 20, 10]),
        ("pedestrian", [30, 8, 6, 30]),
    ]
