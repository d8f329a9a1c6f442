"""<crowd-slider> and <crowd-slider-label> in real Chromium: keyboard, mouse, answer."""

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


def test_keys_move_the_value_and_the_answer_is_a_number(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-slider name="howMuch" aria-label="How much" min="1" max="10"
          step="1" value="5" pin="true"></crowd-slider></crowd-form>"""
    )
    slider = page.get_by_role("slider", name="How much")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator("crowd-slider .pin")).to_have_text("7")
    page.keyboard.press("ArrowLeft")
    assert submit(page) == [{"howMuch": 6}]
    slider.focus()
    page.keyboard.press("End")
    assert submit(page)[-1] == {"howMuch": 10}
    slider.focus()
    page.keyboard.press("Home")
    assert submit(page)[-1] == {"howMuch": 1}


def test_defaults_and_a_click_on_the_track(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-slider name="plain" aria-label="Plain"></crowd-slider>
          <crowd-slider name="half" aria-label="Half" min="0" max="1" step="0.25"></crowd-slider>
        </crowd-form>"""
    )
    assert submit(page) == [{"plain": 0, "half": 0}]
    box = page.get_by_role("slider", name="Half").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.74, box["y"] + box["height"] / 2)
    assert submit(page)[-1] == {"plain": 0, "half": 0.75}


def test_a_required_slider_without_a_preset_must_be_moved(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-slider name="accuracy" aria-label="Accuracy" min="1" max="5"
          step="1" pin="true" required>
          <crowd-slider-label position="1">Poor</crowd-slider-label>
          <crowd-slider-label position="3">Fair</crowd-slider-label>
          <crowd-slider-label position="5">Great</crowd-slider-label>
        </crowd-slider></crowd-form>"""
    )
    ticks = page.locator("crowd-slider .tick")
    expect(ticks).to_have_text(["Poor", "Fair", "Great"])
    lefts = [t.bounding_box()["x"] for t in ticks.all()]  # type: ignore[index]
    assert lefts == sorted(lefts)
    assert submit(page) == []
    expect(page.locator("crowd-form .footer crowd-button .problem")).to_have_text(
        "Accuracy: move the slider to choose a value"
    )
    slider = page.get_by_role("slider", name="Accuracy")
    expect(slider).to_have_attribute("aria-valuetext", "not set")
    slider.focus()
    page.keyboard.press("ArrowRight")
    assert submit(page) == [{"accuracy": 2}]


def test_editable_number_box(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<crowd-form><crowd-slider name="volume" aria-label="Volume" min="0" max="100"
          editable value="20"></crowd-slider></crowd-form>"""
    )
    number = page.get_by_role("spinbutton", name="Volume")
    number.fill("64")
    number.press("Tab")
    expect(page.get_by_role("slider", name="Volume")).to_have_value("64")
    assert submit(page) == [{"volume": 64}]
