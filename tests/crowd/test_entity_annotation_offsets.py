"""crowd-entity-annotation offsets are code points, for any text (property tests in Chromium).

Texts are built from grapheme clusters whose boundaries are known by construction (emoji ZWJ
sequences, skin tones, flags, keycaps, combining marks, CJK, astral letters, RTL, line and
paragraph breaks), so Python knows every cluster boundary without a segmentation library.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Page

from .test_entity_annotation import SELECT_JS

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

# The whitespace the element trims: JavaScript's `\s`, spelled out.
WHITESPACE = set(
    "\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
)

EMOJI = [
    "👩‍👩‍👧‍👦",  # family: ZWJ sequence of four astral characters
    "👍🏽",  # skin tone modifier
    "👩🏿‍💻",  # skin tone inside a ZWJ sequence
    "🏳️‍🌈",  # variation selector plus ZWJ
    "🇯🇵",  # regional indicator pair
    "🇧🇷",
    "1️⃣",  # keycap
    "❤️",
    "😀",
]
# Letters that never join a neighbouring cluster (no Hangul jamo, prepend or spacing marks).
BASE = st.sampled_from(
    [
        *"aZ09.,;!?-",
        "ß",
        "é",  # precomposed
        "Ω",
        "Ж",
        "中",
        "語",
        "東",
        "か",
        "ש",
        "ע",
        "ب",
        "ك",
        "ก",
        "क",
        "한",
        "𝔸",  # astral letter (mathematical alphanumerics)
        "𠜎",  # astral CJK (extension B)
        "𓀀",  # Egyptian hieroglyph
    ]
)
MARKS = st.lists(st.sampled_from(["\u0301", "\u0308", "\u0323", "\u0327", "\u20dd"]), max_size=2)
SPACE = st.sampled_from([" ", " ", "  ", "\t", "\u00a0", "\u3000"])
BREAK = st.sampled_from(["\n", "\n\n", "\r\n", "\n \n\n", "\u2029"])
RTL_MARK = st.sampled_from(["\u200f", "\u200e"])  # controls: clusters of their own

CLUSTER = st.one_of(
    st.builds(lambda base, marks: base + "".join(marks), BASE, MARKS),
    st.sampled_from(EMOJI),
    SPACE,
    BREAK,
    RTL_MARK,
)


@dataclass(frozen=True)
class Text:
    clusters: list[str]

    @property
    def value(self) -> str:
        return "".join(self.clusters)

    def code_points(self, cluster_index: int) -> int:
        return sum(len(c) for c in self.clusters[:cluster_index])

    def units(self, cluster_index: int) -> int:
        return sum(utf16_len(c) for c in self.clusters[:cluster_index])

    def trimmed(self, first: int, last: int) -> tuple[int, int] | None:
        """Cluster range [first, last) without whitespace clusters at either end."""
        while first < last and set(self.clusters[first]) <= WHITESPACE:
            first += 1
        while first < last and set(self.clusters[last - 1]) <= WHITESPACE:
            last -= 1
        return (first, last) if first < last else None

    def cluster_at_unit(self, unit: int, *, end: bool) -> int:
        """Index of the cluster boundary at or around UTF-16 offset `unit`, widened outward."""
        at = 0
        for i, cluster in enumerate(self.clusters):
            nxt = at + utf16_len(cluster)
            if unit == at:
                return i
            if at < unit < nxt:
                return i + 1 if end else i
            at = nxt
        return len(self.clusters)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


TEXTS = st.lists(CLUSTER, min_size=1, max_size=60).map(Text)


@st.composite
def text_with_spans(draw: st.DrawFn) -> tuple[Text, list[tuple[str, int, int]]]:
    text = draw(TEXTS)
    n = len(text.clusters)
    spans = []
    for _ in range(draw(st.integers(1, 4))):
        first = draw(st.integers(0, n - 1))
        last = draw(st.integers(first + 1, n))
        spans.append((draw(st.sampled_from(["A", "B"])), first, last))
    return text, spans


@pytest.fixture
def ner(crowd_page: Callable[[str], Page]) -> Page:
    labels = html.escape(json.dumps([{"label": "A"}, {"label": "B"}]))
    page = crowd_page(
        f'<crowd-form><crowd-entity-annotation name="ner" text="x" labels="{labels}">'
        "</crowd-entity-annotation></crowd-form>"
    )
    page.wait_for_function(
        "document.querySelector('crowd-entity-annotation').shadowRoot.querySelector('.chip')"
    )
    return page


def load(page: Page, text: str, initial: list[dict[str, Any]]) -> None:
    page.evaluate(
        """([text, initial]) => {
          const el = document.querySelector('crowd-entity-annotation');
          el.setAttribute('text', text);
          el.setAttribute('initial-value', JSON.stringify(initial));
        }""",
        [text, initial],
    )


def value(page: Page) -> list[dict[str, Any]]:
    answer: dict[str, Any] = page.evaluate(
        "document.querySelector('crowd-entity-annotation').crowdValue"
    )
    return list(answer["entities"])


def without_whitespace(text: str) -> str:
    return "".join(ch for ch in text if ch not in WHITESPACE)


FEW = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FEW
@given(case=text_with_spans())
def test_initial_value_offsets_round_trip_and_highlight_the_right_text(
    ner: Page, case: tuple[Text, list[tuple[str, int, int]]]
) -> None:
    text, spans = case
    s = text.value
    initial = [
        {"label": label, "startOffset": text.code_points(a), "endOffset": text.code_points(b)}
        for label, a, b in spans
    ]
    load(ner, s, initial)
    expected = sorted(
        {(e["startOffset"], e["endOffset"], e["label"]) for e in initial},
    )
    got = value(ner)
    assert [(e["startOffset"], e["endOffset"], e["label"]) for e in got] == expected
    # What the view highlights for each entity is that entity's text (paragraph breaks are
    # drawn as gaps, so whitespace is left out of the comparison).
    drawn = ner.evaluate(
        """() => {
          const root = document.querySelector('crowd-entity-annotation').shadowRoot;
          return [...root.querySelectorAll('.doc .tag')].map((tag) => [tag.title,
            [...root.querySelectorAll('.doc .ent')]
              .filter((s) => s.dataset.ids.split(' ').includes(tag.dataset.id))
              .map((s) => s.textContent).join('')]);
        }"""
    )
    assert sorted((label, without_whitespace(t)) for label, t in drawn) == sorted(
        (label, without_whitespace(s[a:b])) for a, b, label in expected
    )


@FEW
@given(text=TEXTS, data=st.data())
def test_dom_selection_reports_code_point_offsets_of_whole_clusters(
    ner: Page, text: Text, data: st.DataObject
) -> None:
    s = text.value
    load(ner, s, [])
    total = text.units(len(text.clusters))
    # Any UTF-16 positions, also inside a surrogate pair or a cluster: the element widens them.
    a = data.draw(st.integers(0, total), label="start unit")
    b = data.draw(st.integers(0, total), label="end unit")
    start, end = min(a, b), max(a, b)
    ner.evaluate(
        "() => document.querySelector('crowd-entity-annotation').shadowRoot"
        ".querySelector('.doc').focus()"
    )
    ner.locator("crowd-entity-annotation").evaluate(SELECT_JS, [start, end])
    ner.keyboard.press("1")
    first = text.cluster_at_unit(start, end=False)
    last = text.cluster_at_unit(end, end=True)
    expected = text.trimmed(first, last) if start < end else None
    got = value(ner)
    if expected is None:
        # Nothing but whitespace selected, or a collapsed caret: the label goes to the word at
        # the caret, if the caret is at the start of one.
        assert len(got) <= 1
        return
    [entity] = got
    assert entity["label"] == "A"
    assert (entity["startOffset"], entity["endOffset"]) == (
        text.code_points(expected[0]),
        text.code_points(expected[1]),
    )
    assert s[entity["startOffset"] : entity["endOffset"]] == "".join(
        text.clusters[expected[0] : expected[1]]
    )
