"""<crowd-form>, <crowd-button> and <crowd-alert> in real Chromium (standalone page)."""

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


def auto_submit(page: Page) -> Any:
    return page.locator("crowd-form .footer crowd-button .button")


def test_a_submit_button_is_added_when_the_template_has_none(crowd_page: CrowdPage) -> None:
    page = crowd_page('<crowd-form><input name="note" value="looks fine"></crowd-form>')
    expect(auto_submit(page)).to_be_visible()
    expect(auto_submit(page)).to_have_accessible_name("Submit")
    auto_submit(page).click()
    assert submitted(page) == [{"note": "looks fine"}]


def test_the_template_submit_button_is_used_instead(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-classifier name="mood" categories="['Happy', 'Sad']">
          <classification-target>I love it</classification-target></crowd-classifier>
          <crowd-button form-action="submit" variant="primary">Send answer</crowd-button>
        </crowd-form>"""
    )
    expect(page.locator("crowd-form .footer")).to_be_hidden()
    send = page.get_by_role("button", name="Send answer")
    send.click()
    problem = page.locator("crowd-form > crowd-button .problem")
    expect(problem).to_have_text("Choose a category")
    assert submitted(page) == []
    page.keyboard.press("1")
    expect(problem).to_be_hidden()
    send.click()
    assert submitted(page) == [{"mood": {"label": "Happy"}}]


NATIVE = """<crowd-form>
  <input name="title" value="A cat">
  <input type="checkbox" name="blurry" checked>
  <input type="checkbox" name="tags" value="cute" checked>
  <input type="checkbox" name="tags" value="fluffy">
  <input type="checkbox" name="tags" value="indoor" checked>
  <input type="radio" name="quality" value="good">
  <input type="radio" name="quality" value="bad" checked>
  <input type="radio" name="unanswered" value="x">
  <select name="size"><option>small</option><option selected>large</option></select>
  <select name="colors" multiple><option selected>red</option><option>blue</option>
    <option selected>green</option></select>
  <textarea name="notes">two
lines</textarea>
  <input type="hidden" name="source" value="manifest-7">
  <input name="ignored" value="x" disabled>
  <input type="number" name="count" value="3">
</crowd-form>"""


def test_native_inputs_are_collected(crowd_page: CrowdPage) -> None:
    page = crowd_page(NATIVE)
    auto_submit(page).click()
    assert submitted(page) == [
        {
            "title": "A cat",
            "blurry": True,
            "tags": ["cute", "indoor"],
            "quality": "bad",
            "size": "large",
            "colors": ["red", "green"],
            "notes": "two\nlines",
            "source": "manifest-7",
            "count": "3",
        }
    ]


def test_a_required_native_input_blocks_submit(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        '<crowd-form><label for="r">Reason</label><input id="r" name="reason" required></crowd-form>'
    )
    auto_submit(page).click()
    problem = page.locator("crowd-form .footer crowd-button .problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("Reason: ")
    expect(page.locator("input[name=reason]")).to_be_focused()
    page.locator("input[name=reason]").fill("ok")
    expect(problem).to_be_hidden()
    auto_submit(page).click()
    assert submitted(page) == [{"reason": "ok"}]


def test_onsubmit_handlers_veto_and_fill_hidden_inputs(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><input type="hidden" name="stamp" value="">
          <input type="checkbox" name="agree"></crowd-form>
        <script>
          document.querySelector("crowd-form").onsubmit = (event) => {
            if (!document.querySelector("[name=agree]").checked) event.preventDefault();
            document.querySelector("[name=stamp]").value = "filled on submit";
          };
        </script>"""
    )
    auto_submit(page).click()
    assert submitted(page) == []
    page.locator("[name=agree]").check()
    auto_submit(page).click()
    assert submitted(page) == [{"stamp": "filled on submit", "agree": True}]


def test_enter_submits_only_outside_text_fields_and_buttons(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><input name="word" value="a">
          <button type="button" id="other" onclick="window.clicked = true">Other</button>
        </crowd-form>"""
    )
    page.locator("[name=word]").press("Enter")
    assert submitted(page) == []
    page.locator("#other").press("Enter")
    assert page.evaluate("window.clicked") is True
    assert submitted(page) == []
    page.locator("[name=word]").press("Control+Enter")
    assert submitted(page) == [{"word": "a"}]
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Enter")
    assert len(submitted(page)) == 2


def test_an_element_that_consumes_enter_prevents_submit(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><input type="hidden" name="x" value="1"></crowd-form>
        <script>document.addEventListener("keydown", (e) => e.preventDefault(), true);</script>"""
    )
    page.keyboard.press("Enter")
    assert submitted(page) == []


def test_fields_inside_open_shadow_roots_are_collected(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<script>
          customElements.define("test-field", class extends HTMLElement {
            get crowdValue() { return { picked: this.getAttribute("value") }; }
            crowdValidate() { return this.getAttribute("value") ? null : "Pick something"; }
          });
          customElements.define("test-wrapper", class extends HTMLElement {
            constructor() {
              super();
              this.attachShadow({ mode: "open" }).innerHTML =
                '<test-field name="inner"></test-field><input name="internal" value="no">';
            }
          });
        </script>
        <crowd-form><test-wrapper></test-wrapper></crowd-form>"""
    )
    auto_submit(page).click()
    expect(page.locator("crowd-form .footer crowd-button .problem")).to_have_text("Pick something")
    page.evaluate(
        "document.querySelector('test-wrapper').shadowRoot.firstChild.setAttribute('value', 'b')"
    )
    auto_submit(page).click()
    assert submitted(page) == [{"inner": {"picked": "b"}}]


def test_a_broken_element_is_reported_not_ignored(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<script>
          customElements.define("broken-field", class extends HTMLElement {
            get crowdValue() { throw new Error("no image size yet"); }
          });
        </script>
        <crowd-form><broken-field name="boxes"></broken-field></crowd-form>"""
    )
    auto_submit(page).click()
    expect(page.locator("crowd-form .footer crowd-button .problem")).to_have_text(
        "The answer could not be read: no image size yet"
    )
    assert submitted(page) == []


def test_disabled_button_does_not_submit_and_reset_restores(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><input name="word" value="start">
          <crowd-button form-action="submit" disabled>Submit</crowd-button>
          <crowd-button form-action="reset" variant="link">Start over</crowd-button></crowd-form>"""
    )
    submit = page.get_by_role("button", name="Submit")
    expect(submit).to_be_disabled()
    submit.click(force=True)
    assert submitted(page) == []
    page.locator("[name=word]").fill("changed")
    page.get_by_role("button", name="Start over").click()
    expect(page.locator("[name=word]")).to_have_value("start")
    page.locator("crowd-button[disabled]").evaluate("el => el.removeAttribute('disabled')")
    submit.click()
    assert submitted(page) == [{"word": "start"}]


def test_crowd_alert_types_and_dismiss(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-alert type="error" dismissible>Read the guide first.</crowd-alert>
          <crowd-alert type="success">Saved.</crowd-alert></crowd-form>"""
    )
    expect(page.locator("crowd-alert[type=error] .alert")).to_have_attribute("role", "alert")
    expect(page.locator("crowd-alert[type=success] .alert")).to_have_attribute("role", "status")
    expect(page.locator("crowd-alert[type=error]")).to_contain_text("Read the guide first.")
    page.get_by_role("button", name="Dismiss").click()
    expect(page.locator("crowd-alert[type=error]")).to_be_hidden()


def test_screenshot(crowd_page: CrowdPage, page: Page, screenshot_dir: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page = crowd_page(
        """<style>body { margin: 0; } main { max-width: 720px; margin: 40px auto; }
          label { display: block; margin: 18px 0 6px; font: 600 15px system-ui; }
          input[type=text], textarea { width: 100%; box-sizing: border-box; padding: 8px;
          font: 15px system-ui; border: 1px solid #d1d5db; border-radius: 8px; }</style>
        <crowd-form><main>
          <crowd-alert type="info">This task uses native inputs and crowd buttons.</crowd-alert>
          <crowd-alert type="warning" dismissible>Images may contain patient data.</crowd-alert>
          <label for="t">Title</label><input type="text" id="t" name="title" required>
          <label for="n">Notes</label><textarea id="n" name="notes" rows="4"></textarea>
          <p><crowd-button variant="normal">Normal</crowd-button>
             <crowd-button variant="link">Link</crowd-button>
             <crowd-button variant="primary" disabled>Disabled</crowd-button>
             <crowd-button variant="primary" loading>Loading</crowd-button></p>
        </main></crowd-form>"""
    )
    page.keyboard.press("Enter")
    expect(page.locator("crowd-form .footer crowd-button .problem")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "form-controls.png"), animations="disabled")
