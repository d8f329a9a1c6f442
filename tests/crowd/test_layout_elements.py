"""Layout, message and button elements in real Chromium: crowd-card, crowd-modal, crowd-tabs,
crowd-badge, crowd-toast, crowd-tooltip, crowd-icon-button, crowd-fab, and the form's behaviour
around them (answers from fields inside, submit from a script, form-level instructions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

CrowdPage = Callable[[str], Page]


def submit(page: Page) -> list[Any]:
    page.locator("crowd-form .footer crowd-button .button").click()
    return page.evaluate("window.submitted")  # type: ignore[no-any-return]


def test_card_shows_heading_image_and_content(crowd_page: CrowdPage) -> None:
    pixel = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="
    page = crowd_page(
        f"""<crowd-form><crowd-card heading="Nothing is great." image="{pixel}">
          <div class="card">What sentiment does this text convey?</div>
          <select name="sentiment1" required><option value="">(Please select)</option>
            <option>Negative</option><option>Positive</option></select>
        </crowd-card></crowd-form>"""
    )
    card = page.locator("crowd-card")
    expect(card.locator(".heading")).to_have_text("Nothing is great.")
    expect(card.locator(".image")).to_have_attribute("src", pixel)
    expect(card.get_by_text("What sentiment")).to_be_visible()
    assert submit(page) == []
    page.locator("select[name=sentiment1]").select_option("Positive")
    assert submit(page) == [{"sentiment1": "Positive"}]


TABS = """<crowd-form>
  <crowd-tabs>
    <crowd-tab header="Tab 1"><h2>Image</h2><p>Lorem ipsum</p></crowd-tab>
    <crowd-tab header="Tab 2"><h2>Description</h2></crowd-tab>
    <crowd-tab header="Tab 3">
      <crowd-input label="Input inside tab" name="inputInsideTab" required></crowd-input>
      <input type="checkbox" name="checkbox" value="foo">Foo
      <input type="checkbox" name="checkbox" value="bar" checked>Bar
    </crowd-tab>
  </crowd-tabs>
  <crowd-input label="Input outside tabs" name="inputOutsideTab" value="out"></crowd-input>
</crowd-form>"""


def test_tabs_keyboard_and_fields_inside_hidden_tabs(crowd_page: CrowdPage) -> None:
    page = crowd_page(TABS)
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_text(["Tab 1", "Tab 2", "Tab 3"])
    expect(page.get_by_role("tabpanel", name="Tab 1")).to_be_visible()
    expect(page.get_by_role("tabpanel", name="Tab 3")).to_be_hidden()
    tabs.first.click()
    page.keyboard.press("ArrowRight")
    expect(tabs.nth(1)).to_be_focused()
    expect(tabs.nth(1)).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name="Tab 2")).to_be_visible()
    page.keyboard.press("End")
    expect(page.get_by_role("tabpanel", name="Tab 3")).to_be_visible()
    page.keyboard.press("Home")
    expect(page.get_by_role("tabpanel", name="Tab 1")).to_be_visible()
    # A required field in a hidden tab: the form shows that tab and focuses the field.
    assert submit(page) == []
    expect(page.get_by_role("tabpanel", name="Tab 3")).to_be_visible()
    field = page.get_by_role("textbox", name="Input inside tab")
    expect(field).to_be_focused()
    page.keyboard.type("typed")
    assert submit(page) == [
        {"checkbox": ["bar"], "inputInsideTab": "typed", "inputOutsideTab": "out"}
    ]


def test_modal_opens_from_its_link_and_closes_with_escape(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-modal link-text="See Examples" link-type="button">
          Example Modal Text</crowd-modal><crowd-modal>Default link</crowd-modal></crowd-form>"""
    )
    expect(page.get_by_role("button", name="Click to open modal")).to_be_visible()
    page.get_by_role("button", name="See Examples").click()
    dialog = page.get_by_role("dialog", name="See Examples")
    expect(dialog).to_be_visible()
    expect(page.get_by_text("Example Modal Text")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("window.submitted") == []


def test_badge_sits_on_the_corner_of_its_target(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><div style="position: relative; padding: 40px">
          <p id="short" style="width: 300px; margin: 0">Read the task carefully.</p>
          <crowd-badge label="3" for="short"></crowd-badge>
          <crowd-badge icon="star" for="short" id="star"></crowd-badge></div></crowd-form>"""
    )
    target = page.locator("#short").bounding_box()
    badge = page.locator("crowd-badge").first.bounding_box()
    assert target and badge
    assert abs((badge["x"] + badge["width"] / 2) - (target["x"] + target["width"])) < 16
    assert abs((badge["y"] + badge["height"] / 2) - target["y"]) < 16
    expect(page.get_by_role("img", name="3")).to_be_visible()
    expect(page.get_by_role("img", name="Star")).to_be_visible()


def test_toast_shows_for_its_duration(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-toast id="a" duration="2500" opened>Saved for 2.5 seconds
          </crowd-toast><crowd-toast id="b" text="From the text attribute"></crowd-toast>
          </crowd-form>"""
    )
    first = page.locator("#a")
    expect(first.get_by_role("status")).to_be_visible()
    expect(page.get_by_text("Saved for 2.5 seconds")).to_be_visible()
    expect(first).to_be_hidden(timeout=15_000)
    page.evaluate("document.getElementById('b').show()")
    second = page.locator("#b").get_by_role("status")
    expect(second).to_contain_text("From the text attribute")
    page.evaluate(
        "document.getElementById('a').setAttribute('duration', '0'); document.getElementById('a').show()"
    )
    expect(page.locator("#b")).to_be_hidden()  # one toast at a time
    page.locator("#a").get_by_role("button", name="Close").click()
    expect(page.locator("#a")).to_be_hidden()


def test_tooltip_describes_its_target_on_hover_and_focus(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><button id="help" type="button">Help</button>
          <crowd-tooltip for="help" text="Opens the guidelines"></crowd-tooltip></crowd-form>"""
    )
    tip = page.locator("crowd-tooltip")
    expect(tip).to_be_hidden()
    page.get_by_role("button", name="Help").hover()
    expect(page.get_by_role("tooltip")).to_have_text("Opens the guidelines")
    page.mouse.move(600, 500)
    expect(tip).to_be_hidden()
    page.get_by_role("button", name="Help").focus()
    expect(tip).to_be_visible()
    expect(page.get_by_role("button", name="Help")).to_have_accessible_description(
        "Opens the guidelines"
    )
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()


def test_icon_button_and_fab_submit_through_a_script(crowd_page: CrowdPage) -> None:
    # The pattern of Ground Truth's crowd-fab and crowd-icon-button references.
    page = crowd_page(
        """<crowd-form>
          <crowd-input label="Report an Issue" name="template-issues"></crowd-input>
          <crowd-icon-button id="button1" icon="report-problem" title="Issue"/></crowd-icon-button>
          <crowd-fab id="button2" label="!" title="Send now"></crowd-fab>
          <crowd-fab id="off" icon="send" disabled></crowd-fab>
        </crowd-form>
        <script>
          [button1, button2].forEach(function(button) {
            button.addEventListener('click', function() {
              document.querySelector('crowd-form').submit();
            });
          });
        </script>"""
    )
    page.get_by_role("textbox", name="Report an Issue").fill("image is blank")
    page.get_by_role("button", name="Issue").click()
    assert page.evaluate("window.submitted") == [{"template-issues": "image is blank"}]
    page.get_by_role("button", name="Send now").focus()
    page.keyboard.press("Enter")
    assert len(page.evaluate("window.submitted")) == 2
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_disabled()


def test_form_level_instructions_get_a_side_panel(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-input name="tag" label="Tag"></crowd-input>
          <short-instructions><p>Describe the image in one word.</p></short-instructions>
          <full-instructions header="Tagging guide"><p>Use nouns.</p></full-instructions>
        </crowd-form>"""
    )
    panel = page.locator("crowd-form crowd-instructions-panel")
    expect(panel).to_be_visible()
    text = page.get_by_text("Describe the image in one word.")
    expect(text).to_be_visible()
    inner, outer = text.bounding_box(), panel.bounding_box()
    assert inner and outer and outer["x"] <= inner["x"] < outer["x"] + outer["width"]
    page.get_by_role("button", name="View full instructions").click()
    expect(page.get_by_role("dialog", name="Tagging guide")).to_be_visible()
    expect(page.get_by_text("Use nouns.")).to_be_visible()


def test_all_crowd_elements_ready_fires_once_elements_are_defined(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-slider name="s"></crowd-slider></crowd-form>
        <script>
          window.readyLog = [];
          document.addEventListener('all-crowd-elements-ready', () => {
            window.readyLog.push(typeof document.querySelector('crowd-slider').crowdValue);
          });
        </script>"""
    )
    page.wait_for_function("window.readyLog.length > 0")
    assert page.evaluate("window.readyLog") == ["number"]
