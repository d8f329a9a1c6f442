"""The instructions side panel and <crowd-instructions> in real Chromium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

CrowdPage = Callable[[str], Page]


def submitted(page: Page) -> list[Any]:
    return page.evaluate("window.submitted")


PANEL = """<crowd-form><crowd-classifier name="mood" header="How does the writer feel?"
  categories="['Happy', 'Sad']">
  <classification-target>What a lovely day.</classification-target>
  <short-instructions><p>Pick the <em>main</em> feeling.</p></short-instructions>
  <full-instructions header="Sentiment guide">
    <p>Happy: joy, delight.</p><p>Sad: grief, loss.</p>
    <style>.custom-note { color: rgb(10, 120, 30); }</style>
    <p class="custom-note">Styled by the template.</p>
  </full-instructions>
</crowd-classifier></crowd-form>"""


def test_panel_shows_short_instructions_and_opens_the_full_ones(crowd_page: CrowdPage) -> None:
    page = crowd_page(PANEL)
    panel = page.locator("crowd-instructions-panel")
    expect(panel.get_by_role("heading", name="Instructions")).to_be_visible()
    expect(page.locator("short-instructions")).to_be_visible()
    expect(page.locator("short-instructions em")).to_have_text("main")
    expect(page.locator("full-instructions")).to_be_hidden()
    panel_box, target_box = panel.bounding_box(), page.locator(".target").bounding_box()
    assert panel_box and target_box and panel_box["x"] + panel_box["width"] <= target_box["x"]

    page.get_by_role("button", name="View full instructions").click()
    dialog = page.get_by_role("dialog", name="Sentiment guide")
    expect(dialog).to_be_visible()
    expect(page.locator("full-instructions")).to_be_visible()
    # The template's own CSS still applies inside the modal.
    expect(page.locator(".custom-note")).to_have_css("color", "rgb(10, 120, 30)")
    # Keys pressed in the modal are not shortcuts and do not submit.
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    assert submitted(page) == []
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.keyboard.press("1")
    expect(page.locator(".choice", has_text="Happy")).to_have_attribute("aria-pressed", "true")


def test_modal_closes_with_its_buttons(crowd_page: CrowdPage) -> None:
    page = crowd_page(PANEL)
    open_button = page.get_by_role("button", name="View full instructions")
    open_button.click()
    page.get_by_role("dialog").get_by_role("button", name="Close").first.click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    open_button.click()
    page.locator("crowd-instructions-panel .done").click()
    expect(page.get_by_role("dialog")).to_be_hidden()


def test_no_panel_without_regions_and_no_button_without_full(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-classifier name="a" categories="['x']">
          <classification-target>t</classification-target></crowd-classifier>
        <crowd-classifier name="b" categories="['y']"><classification-target>u</classification-target>
          <short-instructions>Only short ones.</short-instructions></crowd-classifier></crowd-form>"""
    )
    first, second = page.locator("crowd-classifier").nth(0), page.locator("crowd-classifier").nth(1)
    expect(first.locator("crowd-instructions-panel")).to_have_count(0)
    expect(second.locator("crowd-instructions-panel")).to_have_count(1)
    expect(second.get_by_role("button", name="View full instructions")).to_be_hidden()
    expect(second.locator("short-instructions")).to_be_visible()


def test_panel_helper_works_for_any_element(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<script type="module">
          import { createInstructionsPanel } from "/static/crowd/crowd-instructions.js";
          customElements.define("my-tool", class extends HTMLElement {
            connectedCallback() {
              this.attachShadow({ mode: "open" }).append(createInstructionsPanel(this));
            }
          });
        </script>
        <crowd-form><my-tool><short-instructions>Short</short-instructions>
          <full-instructions>Full text</full-instructions></my-tool></crowd-form>"""
    )
    expect(page.locator("my-tool short-instructions")).to_be_visible()
    page.get_by_role("button", name="View full instructions").click()
    expect(page.get_by_role("dialog", name="Instructions")).to_be_visible()
    expect(page.locator("my-tool full-instructions")).to_be_visible()


INSTRUCTIONS = """<crowd-form><crowd-instructions link-text="See instructions" link-type="button">
  <short-summary><p>Mark every car.</p></short-summary>
  <detailed-instructions><p>Draw tight boxes around cars, including partly hidden ones.</p>
  </detailed-instructions>
  <positive-example><p>All three cars have a box touching their edges.</p></positive-example>
  <negative-example><p>The box around the van leaves a wide margin.</p></negative-example>
</crowd-instructions><input type="hidden" name="seen" value="yes"></crowd-form>"""


def test_crowd_instructions_tabs(crowd_page: CrowdPage) -> None:
    page = crowd_page(INSTRUCTIONS)
    trigger = page.get_by_role("button", name="See instructions")
    expect(trigger).to_have_attribute("part", "button")
    trigger.click()
    dialog = page.get_by_role("dialog", name="Instructions")
    expect(dialog.get_by_role("tab")).to_have_text(["Summary", "Detailed instructions", "Examples"])
    expect(dialog.get_by_role("tab", name="Summary")).to_have_attribute("aria-selected", "true")
    expect(page.locator("short-summary")).to_be_visible()
    expect(page.locator("detailed-instructions")).to_be_hidden()
    dialog.get_by_role("tab", name="Summary").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("detailed-instructions")).to_be_visible()
    dialog.get_by_role("tab", name="Examples").click()
    expect(page.locator("positive-example")).to_be_visible()
    expect(page.locator("negative-example")).to_be_visible()
    expect(page.locator("crowd-instructions .good h3")).to_have_text("Good example")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_crowd_instructions_defaults_to_a_link(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-instructions><detailed-instructions>Only details.
        </detailed-instructions></crowd-instructions></crowd-form>"""
    )
    trigger = page.get_by_role("button", name="Click for instructions")
    expect(trigger).to_have_attribute("part", "link")
    trigger.click()
    expect(page.get_by_role("tab")).to_have_text(["Detailed instructions"])
    expect(page.locator("detailed-instructions")).to_be_visible()


def test_screenshots(crowd_page: CrowdPage, page: Page, screenshot_dir: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page = crowd_page(PANEL)
    page.get_by_role("button", name="View full instructions").click()
    page.screenshot(path=str(screenshot_dir / "instructions-full-modal.png"), animations="disabled")
    page = crowd_page(INSTRUCTIONS)
    page.get_by_role("button", name="See instructions").click()
    page.get_by_role("tab", name="Examples").click()
    page.screenshot(path=str(screenshot_dir / "crowd-instructions.png"), animations="disabled")
