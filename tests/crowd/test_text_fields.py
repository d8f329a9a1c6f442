"""<crowd-input> and <crowd-text-area> in real Chromium: typing, validation, the exact answer."""

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


def problem(page: Page) -> Any:
    return page.locator("crowd-form .footer crowd-button .problem")


# The three-tag template of Ground Truth's crowd-input reference.
TAGS = """<crowd-form>
  <crowd-input name="tag1" label="Word/phrase 1" required></crowd-input>
  <crowd-input name="tag2" label="Word/phrase 2" required></crowd-input>
  <crowd-input name="tag3" label="Word/phrase 3"></crowd-input>
</crowd-form>"""


def test_inputs_with_no_text_are_left_out(crowd_page: CrowdPage) -> None:
    page = crowd_page(TAGS)
    first = page.get_by_role("textbox", name="Word/phrase 1")
    expect(first).to_be_visible()
    first.click()
    page.keyboard.type("blue")
    page.keyboard.press("Tab")
    expect(page.get_by_role("textbox", name="Word/phrase 2")).to_be_focused()
    page.keyboard.type("red")
    assert submit(page) == [{"tag1": "blue", "tag2": "red"}]


def test_a_required_input_blocks_submit_and_takes_the_focus(crowd_page: CrowdPage) -> None:
    page = crowd_page(TAGS)
    page.get_by_role("textbox", name="Word/phrase 1").fill("blue")
    assert submit(page) == []
    expect(problem(page)).to_contain_text("Word/phrase 2: ")
    second = page.get_by_role("textbox", name="Word/phrase 2")
    expect(second).to_be_focused()
    expect(second).to_have_attribute("aria-invalid", "true")
    page.keyboard.type("red")
    expect(problem(page)).to_be_hidden()
    assert submit(page) == [{"tag1": "blue", "tag2": "red"}]


def test_preset_value_type_and_lengths(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form>
          <crowd-input name="site" label="Website" type="url" value="http://example.com"></crowd-input>
          <crowd-input name="code" label="Code" min-length="3" max-length="5"
            error-message="Use 3 to 5 characters"></crowd-input>
          <crowd-input name="digits" label="Digits" auto-validate allowed-pattern="[0-9]"></crowd-input>
        </crowd-form>"""
    )
    page.get_by_role("textbox", name="Code").fill("ab")
    assert submit(page) == []
    expect(problem(page)).to_have_text("Code: Use 3 to 5 characters")
    code = page.get_by_role("textbox", name="Code")
    code.click()
    code.press("End")
    page.keyboard.type("cdefgh")  # max-length stops at five characters
    page.get_by_role("textbox", name="Digits").click()
    page.keyboard.type("4a2-7")  # auto-validate with allowed-pattern drops the letters
    assert submit(page) == [{"site": "http://example.com", "code": "abcde", "digits": "427"}]


def test_the_value_property_reads_and_writes(crowd_page: CrowdPage) -> None:
    page = crowd_page('<crowd-form><crowd-input id="c" name="custom"></crowd-input></crowd-form>')
    page.evaluate("customLabel = document.getElementById('c'); customLabel.value = 'Cat'")
    assert page.evaluate("document.getElementById('c').value") == "Cat"
    assert submit(page) == [{"custom": "Cat"}]
    page.evaluate("document.getElementById('c').value = null")
    assert submit(page)[-1] == {}


def test_text_area_keeps_line_breaks_and_counts(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-text-area name="textInput1" label="Transcription" rows="4"
          char-counter max-length="80"></crowd-text-area>
          <crowd-text-area name="empty" label="Notes"></crowd-text-area></crowd-form>"""
    )
    box = page.get_by_role("textbox", name="Transcription")
    box.click()
    page.keyboard.type("This is the text; the text that")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("makes the crowd go wild.")
    page.keyboard.press("Enter")  # Enter in a text area is a new line, not a submit
    assert page.evaluate("window.submitted") == []
    counter = page.locator("crowd-text-area[name=textInput1]").locator(".counter")
    expect(counter).to_have_text("57/80")
    page.keyboard.press("Backspace")
    page.keyboard.press("Control+Enter")
    assert page.evaluate("window.submitted") == [
        {"textInput1": "This is the text; the text that\nmakes the crowd go wild.", "empty": ""}
    ]


def test_a_required_text_area(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-text-area name="essay" rows="4" placeholder="Lorem ipsum..."
          required></crowd-text-area></crowd-form>"""
    )
    assert submit(page) == []
    expect(problem(page)).to_contain_text("Lorem ipsum...: ")
    page.get_by_role("textbox", name="Lorem ipsum...").fill("Robins sing.")
    assert submit(page) == [{"essay": "Robins sing."}]
