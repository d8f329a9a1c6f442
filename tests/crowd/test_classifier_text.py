"""<crowd-classifier> and <crowd-classifier-multi-select> in real Chromium."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

CrowdPage = Callable[[str], Page]

REPORT = "\n\n".join(
    [
        "CLINICAL HISTORY: Three days of productive cough, fever to 38.9 °C and right-sided "
        "pleuritic chest pain. Smoker, 30 pack-years.",
        "FINDINGS: There is dense consolidation in the right lower lobe with air bronchograms. "
        "A small right pleural effusion blunts the costophrenic angle. The heart is not enlarged. "
        "No pneumothorax. The visualised bones are intact.",
        "IMPRESSION: Right lower lobe pneumonia with a small parapneumonic effusion. Follow-up "
        "radiograph in six weeks is advised to confirm resolution.",
    ]
    * 3
)

FINDINGS = ["Pneumonia", "Pleural effusion", "Cardiomegaly", "Pneumothorax", "Fracture"]


def text_page(crowd_page: CrowdPage, tag: str, extra: str = "", inner: str = "") -> Page:
    categories = html.escape(str(FINDINGS))
    target = (
        inner or f"<classification-target>\n    {html.escape(REPORT)}\n  </classification-target>"
    )
    body = f"""<crowd-form><{tag} name="report" header="Which findings does the report describe?"
      categories="{categories}" {extra}>
      {target}
      <short-instructions>Choose the findings that the report says are present.</short-instructions>
      <full-instructions header="Tagging reports"><p>Ignore findings that are ruled out.</p>
      </full-instructions>
    </{tag}></crowd-form>"""
    page = crowd_page(body)
    page.wait_for_function(f"document.querySelector('{tag}').shadowRoot.querySelector('.choice')")
    return page


def submitted(page: Page) -> list[Any]:
    return page.evaluate("window.submitted")


def choice(page: Page, name: str) -> Any:
    return page.locator(".choice", has_text=name)


def test_long_report_keeps_paragraphs_and_scrolls(crowd_page: CrowdPage) -> None:
    page = text_page(crowd_page, "crowd-classifier")
    target = page.locator("classification-target")
    expect(target).to_have_css("white-space", "pre-line")
    text = target.inner_text()
    assert text.startswith("CLINICAL HISTORY") and "\n\nFINDINGS" in text
    card = page.locator(".target")
    assert card.evaluate("el => el.scrollHeight > el.clientHeight + 100")
    card_box, choices_box = card.bounding_box(), page.locator(".choices").bounding_box()
    assert card_box and choices_box and card_box["x"] + card_box["width"] < choices_box["x"]
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    assert submitted(page) == [{"report": {"label": "Pleural effusion"}}]


def test_html_target_keeps_its_own_layout(crowd_page: CrowdPage) -> None:
    inner = """<classification-target><p>First paragraph.</p><p>Second one.</p>
      <video controls width="320" height="180"></video></classification-target>"""
    page = text_page(crowd_page, "crowd-classifier", inner=inner)
    target = page.locator("classification-target")
    expect(target).to_have_css("white-space", "normal")
    expect(target.locator("video")).to_be_visible()
    expect(page.locator("classification-target p")).to_have_count(2)


def test_single_choice_replaces_the_previous_one(crowd_page: CrowdPage) -> None:
    page = text_page(crowd_page, "crowd-classifier")
    choice(page, "Cardiomegaly").click()
    choice(page, "Pneumonia").click()
    pressed = page.locator(".choice").evaluate_all(
        "els => els.map(el => el.getAttribute('aria-pressed'))"
    )
    assert pressed == ["true", "false", "false", "false", "false"]
    page.locator("crowd-form crowd-button .button").click()
    assert submitted(page) == [{"report": {"label": "Pneumonia"}}]


def test_multi_select_toggles_by_click_and_key(crowd_page: CrowdPage) -> None:
    page = text_page(crowd_page, "crowd-classifier-multi-select")
    page.keyboard.press("Enter")
    problem = page.locator("crowd-form crowd-button .problem")
    expect(problem).to_have_text("Choose at least one category")
    page.keyboard.press("5")
    choice(page, "Pneumonia").click()
    page.keyboard.press("2")
    expect(problem).to_be_hidden()
    page.keyboard.press("5")
    expect(choice(page, "Fracture")).to_have_attribute("aria-pressed", "false")
    # Focus is on the Pneumonia button after the click: Enter submits instead of toggling it.
    page.keyboard.press("Enter")
    assert submitted(page) == [{"report": {"labels": ["Pneumonia", "Pleural effusion"]}}]


EXCLUSION = "exclusion-category=\"{ text: 'None of the above' }\""


def test_exclusion_category_clears_and_is_cleared(crowd_page: CrowdPage) -> None:
    page = text_page(crowd_page, "crowd-classifier-multi-select", EXCLUSION)
    expect(page.locator(".choice .key")).to_have_text(["1", "2", "3", "4", "5", "6"])
    page.keyboard.press("1")
    page.keyboard.press("3")
    choice(page, "None of the above").click()
    pressed = page.locator(".choice[aria-pressed=true] .name").all_inner_texts()
    assert pressed == ["None of the above"]
    page.locator("crowd-form crowd-button .button").click()
    assert submitted(page) == [{"report": {"labels": []}}]
    page.keyboard.press("4")
    pressed = page.locator(".choice[aria-pressed=true] .name").all_inner_texts()
    assert pressed == ["Pneumothorax"]
    page.locator("crowd-form crowd-button .button").click()
    assert submitted(page)[-1] == {"report": {"labels": ["Pneumothorax"]}}


def test_arrow_keys_move_between_choices(crowd_page: CrowdPage) -> None:
    page = text_page(crowd_page, "crowd-classifier")
    choice(page, "Pneumonia").focus()
    page.keyboard.press("ArrowDown")
    expect(choice(page, "Pleural effusion")).to_be_focused()
    page.keyboard.press("End")
    expect(choice(page, "Fracture")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(choice(page, "Pneumonia")).to_be_focused()
    page.keyboard.press("Space")
    expect(choice(page, "Pneumonia")).to_have_attribute("aria-pressed", "true")


def test_template_css_cannot_break_the_tool_but_parts_style_it(crowd_page: CrowdPage) -> None:
    page = crowd_page(
        """<style>button, div, kbd { display: none !important; color: red !important; }
          crowd-classifier::part(choice) { border-radius: 0; }
          crowd-form::part(submit-button) { background: rgb(1, 2, 3); }</style>
        <crowd-form><crowd-classifier name="m" categories="['A', 'B']">
          <classification-target>x</classification-target></crowd-classifier></crowd-form>"""
    )
    first = page.locator(".choice").first
    expect(first).to_be_visible()
    expect(first).to_have_css("border-radius", "0px")
    expect(page.locator("crowd-form .footer .button")).to_have_css(
        "background-color", "rgb(1, 2, 3)"
    )
    first.click()
    page.keyboard.press("Enter")
    assert submitted(page) == [{"m": {"label": "A"}}]


def test_javascript_literal_and_object_categories(crowd_page: CrowdPage) -> None:
    categories = html.escape("[{label: 'Positive'}, {text: \"Neg'ative\"}, 'Neutral',]")
    body = f"""<crowd-form><crowd-classifier name="sentiment" categories="{categories}">
      <classification-target>Great food, slow service.</classification-target>
    </crowd-classifier></crowd-form>"""
    page = crowd_page(body)
    expect(page.locator(".choice .name")).to_have_text(["Positive", "Neg'ative", "Neutral"])
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    assert submitted(page) == [{"sentiment": {"label": "Neg'ative"}}]


MULTI_BODY = f"""<crowd-form><crowd-classifier-multi-select name="tags"
  categories="{html.escape(str(FINDINGS))}" {EXCLUSION}>
  <classification-target>Text</classification-target></crowd-classifier-multi-select></crowd-form>"""


@pytest.fixture
def multi_element(crowd_page: CrowdPage) -> Page:
    page = crowd_page(MULTI_BODY)
    page.wait_for_function(
        "document.querySelector('crowd-classifier-multi-select').shadowRoot.querySelector('.choice')"
    )
    return page


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(presses=st.lists(st.integers(min_value=0, max_value=len(FINDINGS)), max_size=12))
def test_multi_select_matches_a_model_of_toggles(multi_element: Page, presses: list[int]) -> None:
    page = multi_element
    page.evaluate("document.querySelector('crowd-classifier-multi-select').crowdReset()")
    chosen: set[int] = set()
    excluded = False
    for position in presses:
        page.keyboard.press(str(position + 1))
        if position == len(FINDINGS):
            excluded = not excluded
            chosen = set() if excluded else chosen
        elif position in chosen:
            chosen.remove(position)
        else:
            chosen.add(position)
            excluded = False
    state = page.evaluate(
        "(() => { const el = document.querySelector('crowd-classifier-multi-select');"
        " return [el.crowdValue, el.crowdValidate()]; })()"
    )
    assert state[0] == {"labels": [FINDINGS[i] for i in sorted(chosen)]}
    assert (state[1] is None) == bool(chosen or excluded)
    assert not (chosen and excluded)


def test_screenshots(crowd_page: CrowdPage, page: Page, screenshot_dir: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page = text_page(crowd_page, "crowd-classifier")
    page.keyboard.press("1")
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(screenshot_dir / "text-classifier.png"), animations="disabled")
    page = text_page(crowd_page, "crowd-classifier-multi-select", EXCLUSION)
    page.keyboard.press("1")
    page.keyboard.press("2")
    page.screenshot(
        path=str(screenshot_dir / "text-classifier-multi-select.png"), animations="disabled"
    )
