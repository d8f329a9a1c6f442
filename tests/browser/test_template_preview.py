"""The console's template page in Chromium: a template previewed against a manifest line as it
is typed, its errors listed live, and stored as a human task UI."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live
from tests.browser.test_console import sign_in
from tests.support.factories import make_admin
from truthset import task_uis

TEMPLATE = """<crowd-form><crowd-classifier name="sentiment" header="{{ task.input.source }}"
 categories="{{ task.input.labels | to_json | escape }}"><classification-target>
 {{ task.input.source }}</classification-target></crowd-classifier></crowd-form>"""


def test_a_template_is_previewed_while_it_is_typed(page: Page, live: Live, shots: Path) -> None:
    make_admin(live.dep)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live, "admin@example.org")
    page.get_by_role("navigation").get_by_role("link", name="Templates").click()
    page.get_by_label("task.input (JSON)").fill(
        '{"source": "Loved every minute", "labels": ["positive", "negative"]}'
    )
    page.get_by_label("Template (Liquid)").fill(TEMPLATE)
    preview = page.frame_locator("#preview")
    expect(preview.locator("crowd-classifier")).to_have_attribute("header", "Loved every minute")
    expect(preview.get_by_role("button", name="positive")).to_be_visible()
    page.screenshot(path=str(shots / "console-template-preview.png"))

    page.get_by_label("Template (Liquid)").fill(TEMPLATE + "{% if task.input.source %}")
    expect(page.locator("#template-errors")).to_contain_text("if")
    page.get_by_label("Template (Liquid)").fill(TEMPLATE)
    page.get_by_label("task.input (JSON)").fill("{not json")
    expect(page.locator("#template-errors")).to_contain_text("not valid JSON")
    page.get_by_label("task.input (JSON)").fill('{"source": "fine"}')
    expect(page.locator("#template-errors")).to_be_hidden()

    page.get_by_label("Store as").fill("sentiment")
    page.get_by_role("button", name="Store template").click()
    expect(page.get_by_role("status")).to_contain_text("Template sentiment stored")
    assert task_uis.get_task_ui(live.dep, "sentiment").template == TEMPLATE
