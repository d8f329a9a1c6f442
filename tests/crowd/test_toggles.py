"""<crowd-checkbox>, <crowd-toggle-button>, <crowd-radio-group>/<crowd-radio-button>: mouse,
keyboard, and the exact answers of Ground Truth's element reference."""

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


def test_checkboxes_sharing_a_name_give_one_object(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form>
          <div><crowd-checkbox name="image_attributes" value="blurry"> Blurry </crowd-checkbox></div>
          <div><crowd-checkbox name="image_attributes" value="dim"> Too Dim </crowd-checkbox></div>
          <div><crowd-checkbox name="image_attributes" value="exposed"> Too Bright </crowd-checkbox></div>
        </crowd-form>"""
    )
    blurry = page.get_by_role("checkbox", name="Blurry")
    blurry.click()
    expect(blurry).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("checkbox", name="Too Dim")).to_be_focused()
    page.keyboard.press("Space")
    assert submit(page) == [{"image_attributes": {"blurry": True, "dim": True, "exposed": False}}]


def test_checkboxes_with_their_own_names(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form>
          <crowd-checkbox name="Stop" value="Red"> Red </crowd-checkbox>
          <crowd-checkbox name="Slow" value="Yellow"> Yellow </crowd-checkbox>
          <crowd-checkbox name="Go" value="Green"> Green </crowd-checkbox>
          <crowd-checkbox name="plain">Plain</crowd-checkbox>
          <crowd-checkbox name="preset" checked disabled>Preset</crowd-checkbox>
        </crowd-form>"""
    )
    page.get_by_role("checkbox", name="Red").click()
    page.get_by_role("checkbox", name="Preset").click(force=True)  # disabled: stays checked
    assert submit(page) == [
        {
            "Stop": {"Red": True},
            "Slow": {"Yellow": False},
            "Go": {"Green": False},
            "plain": {"on": False},
            "preset": {"on": True},
        }
    ]


def test_a_required_checkbox_must_be_checked(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-checkbox name="work_verified" required>Instructions were clear
        </crowd-checkbox></crowd-form>"""
    )
    assert submit(page) == []
    expect(problem(page)).to_have_text("“Instructions were clear” must be checked")
    page.get_by_role("checkbox", name="Instructions were clear").click()
    expect(problem(page)).to_be_hidden()
    assert submit(page) == [{"work_verified": {"on": True}}]


def test_toggle_buttons(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form>
          <crowd-toggle-button name="toggleButtonWithoutValue" aria-label="Plain"></crowd-toggle-button>
          <crowd-toggle-button name="toggleButtonWithValue" value="someValue"></crowd-toggle-button>
          <crowd-toggle-button name="toggleButtonDisabled" disabled></crowd-toggle-button>
          <crowd-toggle-button name="toggleButtonRequired" required>Ready</crowd-toggle-button>
        </crowd-form>"""
    )
    plain = page.get_by_role("switch", name="Plain")
    plain.focus()
    page.keyboard.press("Space")
    expect(plain).to_have_attribute("aria-checked", "true")
    assert submit(page) == []
    expect(problem(page)).to_have_text("“Ready” must be switched on")
    page.get_by_role("switch", name="Ready").click()
    assert submit(page) == [
        {
            "toggleButtonWithoutValue": {"on": True},
            "toggleButtonWithValue": {"someValue": False},
            "toggleButtonDisabled": {"on": False},
            "toggleButtonRequired": {"on": True},
        }
    ]


RADIOS = """<crowd-form><p id="q">Which do you agree with?</p>
  <crowd-radio-group aria-labelledby="q">
    <crowd-radio-button name="option1" value="Option 1">Option 1</crowd-radio-button>
    <crowd-radio-button name="option2" value="Option 2">Option 2</crowd-radio-button>
    <crowd-radio-button name="option3" value="Option 3" disabled>Option 3</crowd-radio-button>
    <crowd-radio-button name="option4" value="Option 4">Option 4</crowd-radio-button>
  </crowd-radio-group></crowd-form>"""


def test_a_radio_group_keeps_one_button_on(crowd_page: CrowdPage) -> None:
    page = crowd_page(RADIOS)
    expect(page.get_by_role("radiogroup", name="Which do you agree with?")).to_be_visible()
    page.get_by_role("radio", name="Option 2").click()
    page.get_by_role("radio", name="Option 1").click()
    assert submit(page) == [
        {
            "option1": {"Option 1": True},
            "option2": {"Option 2": False},
            "option3": {"Option 3": False},
            "option4": {"Option 4": False},
        }
    ]


def test_radio_group_keyboard(crowd_page: CrowdPage) -> None:
    page = crowd_page('<button id="before">before</button>' + RADIOS)
    page.locator("#before").focus()
    page.keyboard.press("Tab")  # one tab stop for the group: its first button
    first = page.get_by_role("radio", name="Option 1")
    expect(first).to_be_focused()
    page.keyboard.press("Space")
    expect(first).to_have_attribute("aria-checked", "true")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # Option 3 is disabled: skipped
    fourth = page.get_by_role("radio", name="Option 4")
    expect(fourth).to_be_focused()
    expect(fourth).to_have_attribute("aria-checked", "true")
    page.keyboard.press("ArrowDown")  # wraps to the first
    expect(first).to_have_attribute("aria-checked", "true")
    page.keyboard.press("End")
    expect(fourth).to_have_attribute("aria-checked", "true")
    assert page.evaluate("document.querySelector('crowd-radio-group').value") == "Option 4"
    expect(page.get_by_role("radio", name="Option 2")).to_have_attribute("tabindex", "-1")
    assert submit(page)[-1]["option4"] == {"Option 4": True}


def test_radio_buttons_outside_a_group_are_independent(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form>
          <crowd-radio-button name="animal" value="cat">Cat</crowd-radio-button>
          <crowd-radio-button name="animal" value="dog">Dog</crowd-radio-button>
        </crowd-form>"""
    )
    page.get_by_role("radio", name="Cat").click()
    page.get_by_role("radio", name="Dog").click()
    assert submit(page) == [{"animal": {"cat": True, "dog": True}}]
    page.get_by_role("radio", name="Dog").click()
    assert submit(page)[-1] == {"animal": {"cat": True, "dog": False}}
