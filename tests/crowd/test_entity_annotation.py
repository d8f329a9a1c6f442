"""<crowd-entity-annotation> in real Chromium: mouse, keyboard, overlaps, answers."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

CrowdPage = Callable[[str], Page]

LABELS = [
    {"label": "Person", "shortDisplayName": "PER"},
    {"label": "Organization", "shortDisplayName": "ORG"},
    {"label": "Location", "shortDisplayName": "LOC", "fullDisplayName": "Place or location"},
]

TEXT = (
    "Jeff Bezos founded Amazon in Seattle in 1994.\n\n"
    "Ten years later Andy Jassy studied at the University of Washington.\n"
    "He   moved to   New York."
)

# Finds the DOM position of a UTF-16 offset from the documented structure only: one `.block`
# per line of text (data-start = its first UTF-16 offset) whose text nodes outside `.tag` chips
# are the line's text in order; line breaks are not drawn.
POINT_JS = """
(host, unit) => {
  const blocks = [...host.shadowRoot.querySelectorAll('.doc .block')];
  let block = blocks[0];
  for (const b of blocks) if (Number(b.dataset.start) <= unit) block = b;
  const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => n.parentElement.closest('.tag') ? NodeFilter.FILTER_REJECT
                                                       : NodeFilter.FILTER_ACCEPT });
  let at = Number(block.dataset.start);
  let last = null;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (unit <= at + n.data.length) return [n, Math.max(0, unit - at)];
    at += n.data.length;
    last = n;
  }
  // A position in the line break after the block (or an empty text).
  return last ? [last, last.data.length] : [block, 0];
}
"""

RECT_JS = f"""
(host, [start, end]) => {{
  const point = {POINT_JS};
  const range = document.createRange();
  range.setStart(...point(host, start));
  range.setEnd(...point(host, end));
  const rects = [...range.getClientRects()].filter((r) => r.width > 0);
  const first = rects[0], last = rects[rects.length - 1];
  return [first.left, first.top + first.height / 2, last.right, last.top + last.height / 2];
}}
"""

SELECT_JS = f"""
async (host, [start, end]) => {{
  const point = {POINT_JS};
  const [a, b] = [point(host, start), point(host, end)];
  document.getSelection().setBaseAndExtent(a[0], a[1], b[0], b[1]);
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
}}
"""


def ner_page(
    crowd_page: CrowdPage,
    text: str = TEXT,
    initial: list[dict[str, Any]] | None = None,
    labels: list[dict[str, str]] | None = None,
) -> Page:
    initial_attr = f'initial-value="{html.escape(json.dumps(initial))}"' if initial else ""
    body = f"""<crowd-form><crowd-entity-annotation name="ner" header="Label the names"
      text="{html.escape(text)}" labels="{html.escape(json.dumps(labels or LABELS))}"
      {initial_attr}></crowd-entity-annotation></crowd-form>"""
    page = crowd_page(body)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.wait_for_function(
        "document.querySelector('crowd-entity-annotation').shadowRoot.querySelector('.chip')"
    )
    return page


def host(page: Page) -> Locator:
    return page.locator("crowd-entity-annotation")


def entities(page: Page) -> list[dict[str, Any]]:
    value: dict[str, Any] = host(page).evaluate("el => el.crowdValue")
    return list(value["entities"])


def span(text: str, needle: str, label: str) -> dict[str, Any]:
    start = text.index(needle)
    return {"label": label, "startOffset": start, "endOffset": start + len(needle)}


def drag(page: Page, start: int, end: int) -> None:
    """Drags the mouse from the left edge of UTF-16 offset `start` to the right edge of `end`."""
    x1, y1, x2, y2 = host(page).evaluate(RECT_JS, [start, end])
    page.mouse.move(x1 + 1, y1)
    page.mouse.down()
    page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2, steps=4)
    page.mouse.move(x2 - 1, y2, steps=4)
    page.mouse.up()


def click_text(page: Page, needle: str) -> None:
    start = TEXT.index(needle)
    x1, y1, x2, _ = host(page).evaluate(RECT_JS, [start, start + len(needle)])
    page.mouse.click((x1 + x2) / 2, y1)


def test_drag_across_words_then_label_with_number_key(crowd_page: CrowdPage) -> None:
    page = ner_page(crowd_page)
    drag(page, 0, len("Jeff Bezos"))
    expect(host(page).locator(".status")).to_contain_text("Jeff Bezos")
    page.keyboard.press("1")
    assert entities(page) == [span(TEXT, "Jeff Bezos", "Person")]
    tag = host(page).locator(".doc .tag")
    expect(tag).to_have_text("PER")
    expect(tag).to_have_attribute("title", "Person")


def test_drag_across_a_paragraph_break_then_click_a_label(crowd_page: CrowdPage) -> None:
    page = ner_page(crowd_page)
    start = TEXT.index("Seattle")
    end = TEXT.index("Ten years") + len("Ten years")
    drag(page, start, end)
    host(page).locator(".chip", has_text="Place or location").click()
    [entity] = entities(page)
    assert TEXT[entity["startOffset"] : entity["endOffset"]] == "Seattle in 1994.\n\nTen years"
    assert entity["label"] == "Location"
    # Both paragraphs show the highlight; the tag follows its end.
    paragraphs = host(page).locator(".doc .block")  # one per line
    assert paragraphs.nth(0).locator(".ent").all_text_contents() == ["Seattle in 1994."]
    assert "".join(paragraphs.nth(1).locator(".ent").all_text_contents()) == "Ten years"
    expect(paragraphs.nth(1).locator(".tag")).to_have_text("LOC")


def test_selection_is_trimmed_but_keeps_exact_characters(crowd_page: CrowdPage) -> None:
    page = ner_page(crowd_page)
    start = TEXT.index("moved to") + len("moved to")
    end = TEXT.index("York.")
    # "   New " with spaces around: the answer is "New" (no word snapping, no whitespace).
    drag(page, start, end)
    page.keyboard.press("3")
    [entity] = entities(page)
    assert TEXT[entity["startOffset"] : entity["endOffset"]] == "New"


def test_keyboard_only(crowd_page: CrowdPage) -> None:
    page = ner_page(crowd_page)
    page.keyboard.press("Tab")  # the text is the first stop in the element
    expect(host(page).locator(".doc")).to_be_focused()
    # Caret at the start: Shift+Right twice selects two words.
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("1")
    # Right moves word by word: Jeff, Bezos, founded -> caret before "Amazon"; no selection
    # needed: the label key labels the word at the caret.
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("2")
    # Down moves a line; End goes to the end of the paragraph; Alt+Shift+Left selects by
    # character: "1994" without the full stop.
    page.keyboard.press("Escape")
    page.keyboard.press("End")
    page.keyboard.press("Alt+ArrowLeft")
    for _ in range(4):
        page.keyboard.press("Alt+Shift+ArrowLeft")
    page.keyboard.press("3")
    assert entities(page) == [
        span(TEXT, "Jeff Bezos", "Person"),
        span(TEXT, "Amazon", "Organization"),
        span(TEXT, "1994", "Location"),
    ]


def test_keyboard_moves_between_lines_and_paragraphs(crowd_page: CrowdPage) -> None:
    page = ner_page(crowd_page)
    host(page).locator(".doc").focus()
    page.keyboard.press("ArrowDown")  # to the second paragraph (a single line above it)
    page.keyboard.press("Home")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("1")
    assert entities(page) == [span(TEXT, "Ten years", "Person")]


def test_overlapping_spans_and_two_labels_on_one_span(crowd_page: CrowdPage) -> None:
    page = ner_page(crowd_page)
    university = TEXT.index("University of Washington")
    washington = TEXT.index("Washington")
    drag(page, university, university + len("University of Washington"))
    page.keyboard.press("2")
    drag(page, washington, washington + len("Washington"))
    page.keyboard.press("3")  # labels the new span and selects it
    page.keyboard.press("1")  # adds a second label to the selected span
    assert entities(page) == [
        span(TEXT, "University of Washington", "Organization"),
        span(TEXT, "Washington", "Location"),
        span(TEXT, "Washington", "Person"),
    ]
    # All three are drawn: three tags, three stacked underlines under "Washington".
    expect(host(page).locator(".doc .tag")).to_have_count(3)
    layers = host(page).evaluate(
        """el => [...el.shadowRoot.querySelectorAll('.doc .ent')]
              .filter((s) => s.textContent === 'Washington')
              .map((s) => s.style.backgroundImage.split('linear-gradient').length - 1)"""
    )
    assert layers == [4]  # the tint plus one underline per entity


def test_click_selects_an_entity_and_delete_removes_it(crowd_page: CrowdPage) -> None:
    initial = [
        span(TEXT, "Amazon", "Organization"),
        span(TEXT, "Seattle", "Location"),
        span(TEXT, "Andy Jassy", "Person"),
    ]
    page = ner_page(crowd_page, initial=initial)
    click_text(page, "Seattle")
    expect(host(page).locator(".status")).to_contain_text("Seattle")
    page.keyboard.press("Delete")
    click_text(page, "Andy")
    page.keyboard.press("Backspace")
    assert entities(page) == [span(TEXT, "Amazon", "Organization")]
    page.keyboard.press("Control+z")
    assert entities(page) == [span(TEXT, "Amazon", "Organization"), initial[2]]
    page.keyboard.press("Control+y")
    assert entities(page) == [span(TEXT, "Amazon", "Organization")]


def test_clicks_cycle_through_nested_entities(crowd_page: CrowdPage) -> None:
    initial = [
        span(TEXT, "University of Washington", "Organization"),
        span(TEXT, "Washington", "Location"),
    ]
    page = ner_page(crowd_page, initial=initial)
    status = host(page).locator(".status")
    click_text(page, "Washington")
    expect(status).to_contain_text("“Washington”")  # the innermost first
    click_text(page, "Washington")
    expect(status).to_contain_text("“University of Washington”")
    click_text(page, "Washington")
    expect(status).to_contain_text("“Washington”")


def test_label_on_a_selected_entity_adds_toggles_or_changes(crowd_page: CrowdPage) -> None:
    page = ner_page(crowd_page, initial=[span(TEXT, "Amazon", "Organization")])
    host(page).locator(".doc .tag").click()
    page.keyboard.press("3")  # adds Location to the same span
    assert [e["label"] for e in entities(page)] == ["Location", "Organization"]
    page.keyboard.press("3")  # pressing it again takes it off
    assert [e["label"] for e in entities(page)] == ["Organization"]
    host(page).locator(".chip", has_text="Person").click(modifiers=["Shift"])  # change
    assert entities(page) == [span(TEXT, "Amazon", "Person")]
    page.keyboard.press("Shift+Digit3")  # change, from the keyboard
    assert entities(page) == [span(TEXT, "Amazon", "Location")]


def test_entity_list_and_brackets_select_entities(crowd_page: CrowdPage) -> None:
    initial = [span(TEXT, "Seattle", "Location"), span(TEXT, "Jeff Bezos", "Person")]
    page = ner_page(crowd_page, initial=initial)
    items = host(page).locator(".entity-list button")
    expect(items.locator(".quote")).to_have_text(["Jeff Bezos", "Seattle"])
    expect(items.locator(".tag")).to_have_text(["PER", "LOC"])
    items.nth(1).click()
    expect(items.nth(1)).to_have_attribute("aria-current", "true")
    page.keyboard.press("[")
    expect(items.nth(0)).to_have_attribute("aria-current", "true")
    page.keyboard.press("Delete")
    assert entities(page) == [initial[0]]


def test_initial_value_is_shown_and_answered_sorted(crowd_page: CrowdPage) -> None:
    initial = [
        span(TEXT, "New York", "Location"),
        span(TEXT, "Jeff Bezos", "Person"),
        span(TEXT, "University of Washington", "Organization"),
        span(TEXT, "Washington", "Location"),
        {"label": "Person", "startOffset": 0, "endOffset": 999},  # out of range: dropped
    ]
    page = ner_page(crowd_page, initial=initial)
    expect(host(page).locator(".doc .tag")).to_have_text(["PER", "ORG", "LOC", "LOC"])
    expect(host(page).locator(".chip .count")).to_have_text(["1", "1", "2"])
    assert entities(page) == sorted(
        initial[:4], key=lambda e: (e["startOffset"], e["endOffset"], e["label"])
    )


def test_submit_through_crowd_form(crowd_page: CrowdPage) -> None:
    page = ner_page(crowd_page, initial=[span(TEXT, "Amazon", "Organization")])
    drag(page, 0, len("Jeff Bezos"))
    page.keyboard.press("1")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_function("window.submitted.length === 1")
    assert page.evaluate("window.submitted") == [
        {
            "ner": {
                "entities": [
                    span(TEXT, "Jeff Bezos", "Person"),
                    span(TEXT, "Amazon", "Organization"),
                ]
            }
        }
    ]


def test_submitting_no_entities_is_allowed(crowd_page: CrowdPage) -> None:
    page = ner_page(crowd_page)
    page.get_by_role("button", name="Submit").click()
    page.wait_for_function("window.submitted.length === 1")
    assert page.evaluate("window.submitted") == [{"ner": {"entities": []}}]


def test_astral_characters_and_grapheme_clusters_via_the_mouse(crowd_page: CrowdPage) -> None:
    text = "Team 👩‍👩‍👧‍👦 met José in 東京 🇯🇵 today."
    page = ner_page(crowd_page, text=text)
    units = text.encode("utf-16-le")

    def unit(cp: int) -> int:
        return len(text[:cp].encode("utf-16-le")) // 2

    assert len(units) // 2 > len(text)  # the text has astral characters
    start = text.index("José")
    end = text.index("🇯🇵") + len("🇯🇵")
    drag(page, unit(start), unit(end))
    page.keyboard.press("3")
    [entity] = entities(page)
    assert text[entity["startOffset"] : entity["endOffset"]] == "José in 東京 🇯🇵"


def test_empty_text_and_labels_written_as_a_js_literal(crowd_page: CrowdPage) -> None:
    body = """<crowd-form><crowd-entity-annotation name="ner" text=""
      labels="[{label: 'Person', shortDisplayName: 'per'}, 'Place']">
      </crowd-entity-annotation></crowd-form>"""
    page = crowd_page(body)
    expect(host(page).locator(".chip .abbr")).to_have_text(["per", "Place"])
    expect(host(page).locator(".doc")).to_contain_text("No text to annotate.")
    host(page).locator(".doc").focus()
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("1")
    assert entities(page) == []


def test_new_labels_keep_the_entities(crowd_page: CrowdPage) -> None:
    page = ner_page(crowd_page, initial=[span(TEXT, "Amazon", "Organization")])
    host(page).evaluate(
        """el => el.setAttribute('labels', JSON.stringify(
             [{label: 'Organization', shortDisplayName: 'ORG'}, {label: 'Event'}]))"""
    )
    expect(host(page).locator(".chip .abbr")).to_have_text(["ORG", "Event"])
    assert entities(page) == [span(TEXT, "Amazon", "Organization")]


def test_arrow_keys_follow_right_to_left_lines(crowd_page: CrowdPage) -> None:
    text = "שלום עולם גדול\nhello world"
    page = ner_page(crowd_page, text=text)
    host(page).locator(".doc").focus()
    page.keyboard.press("Shift+ArrowLeft")  # forward in Hebrew
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("1")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Home")
    page.keyboard.press("Shift+ArrowRight")  # forward in English
    page.keyboard.press("2")
    assert entities(page) == [
        span(text, "שלום עולם", "Person"),
        span(text, "hello", "Organization"),
    ]
