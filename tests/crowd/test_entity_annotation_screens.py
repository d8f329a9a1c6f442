"""Screenshots of crowd-entity-annotation on a realistic multi-paragraph document."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from .test_entity_annotation import drag

pytestmark = pytest.mark.browser

SAMPLE_TEXT = """SEATTLE, March 3, 2024 — Amazon Web Services announced on Tuesday that Amazon \
SageMaker Ground Truth will be closed to new customers, according to a notice posted by the \
company's machine-learning team.

"Teams that already label data with Ground Truth can keep using it," said Dr. Maria López, a \
product manager at AWS who previously worked at the University of Washington. She added that \
existing labeling jobs in the us-east-1 and eu-west-1 regions would not be affected.

Analysts at Gartner expect customers to move to open-source tools such as Label Studio and CVAT \
over the next twelve months. "The annotation market is consolidating," wrote Priya Natarajan \
in a note to clients on Wednesday, March 4.

Meanwhile, the Allen Institute for AI in Seattle released a multilingual benchmark, and \
researchers from Tokyo and São Paulo 🇧🇷 joined the effort. The dataset covers 40 languages, \
including 日本語 (東京大学 contributed the Japanese part) and עברית.
"""

SAMPLE_LABELS = [
    {"label": "Person", "shortDisplayName": "PER"},
    {"label": "Organization", "shortDisplayName": "ORG"},
    {"label": "Location", "shortDisplayName": "LOC"},
    {"label": "Date", "shortDisplayName": "DATE"},
    {"label": "Product", "shortDisplayName": "PROD", "fullDisplayName": "Product or service"},
]

# (label, substring, occurrence): overlapping spans, nested spans and one span with two labels.
SAMPLE_SPANS = [
    ("Location", "SEATTLE", 0),
    ("Date", "March 3, 2024", 0),
    ("Organization", "Amazon Web Services", 0),
    ("Date", "Tuesday", 0),
    ("Product", "Amazon SageMaker Ground Truth", 0),
    ("Organization", "Amazon", 1),
    ("Product", "Ground Truth", 1),
    ("Person", "Maria López", 0),
    ("Organization", "AWS", 0),
    ("Product", "AWS", 0),
    ("Organization", "University of Washington", 0),
    ("Location", "Washington", 0),
    ("Organization", "Gartner", 0),
    ("Product", "Label Studio", 0),
    ("Product", "CVAT", 0),
    ("Person", "Priya Natarajan", 0),
    ("Date", "Wednesday, March 4", 0),
    ("Organization", "Allen Institute for AI", 0),
    ("Location", "Seattle", 0),
    ("Location", "Tokyo", 0),
    ("Location", "São Paulo", 0),
    ("Organization", "東京大学", 0),
    ("Location", "東京", 0),
]


def find_span(text: str, needle: str, occurrence: int) -> tuple[int, int]:
    """Code point offsets of the n-th occurrence of `needle` (Python indices are code points)."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def utf16(text: str, code_points: int) -> int:
    return len(text[:code_points].encode("utf-16-le")) // 2


def sample_entities() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for label, needle, occurrence in SAMPLE_SPANS:
        start, end = find_span(SAMPLE_TEXT, needle, occurrence)
        out.append({"label": label, "startOffset": start, "endOffset": end})
    return out


def sample_body() -> str:
    return f"""<crowd-form><crowd-entity-annotation name="entities"
      header="Highlight every person, organization, place, date and product"
      text="{html.escape(SAMPLE_TEXT)}" labels="{html.escape(json.dumps(SAMPLE_LABELS))}"
      initial-value="{html.escape(json.dumps(sample_entities()))}">
      <short-instructions><p>Select a name with the mouse or the arrow keys, then press its
        number key.</p><p>Label the longest name (<em>University of Washington</em>) and places
        inside it too.</p></short-instructions>
      <full-instructions header="Entity guidelines"><p>Titles such as <em>Dr.</em> are not part
        of a person's name.</p></full-instructions>
    </crowd-entity-annotation></crowd-form>"""


def test_screenshot_document_with_overlapping_entities(
    crowd_page: Callable[[str], Page], screenshot_dir: Path
) -> None:
    page = crowd_page(sample_body())
    page.set_viewport_size({"width": 1280, "height": 800})
    element = page.locator("crowd-entity-annotation")
    assert element.evaluate("el => el.crowdValue.entities.length") == len(SAMPLE_SPANS)
    # Select the nested entity (Washington inside University of Washington) to show selection.
    page.locator("crowd-entity-annotation .doc .tag[title='Location']").nth(1).click()
    page.screenshot(path=str(screenshot_dir / "entity-annotation-document.png"))

    # A fresh selection made with the mouse, waiting for its label.
    start = SAMPLE_TEXT.index("us-east-1")
    end = SAMPLE_TEXT.index(" regions would")
    drag(page, utf16(SAMPLE_TEXT, start), utf16(SAMPLE_TEXT, end))
    page.screenshot(path=str(screenshot_dir / "entity-annotation-selection.png"))
