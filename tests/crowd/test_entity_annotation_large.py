"""crowd-entity-annotation with a 50,000-character document and 500 entities.

Correctness only is asserted; the timings are printed (run with -s) for the report, never
compared, since the machine is shared.
"""

from __future__ import annotations

import html
import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "they",
    "you",
    "were",
    "her",
    "she",
    "there",
    "been",
    "one",
    "all",
    "we",
    "their",
    "has",
    "would",
    "when",
    "if",
    "so",
    "no",
    "will",
]
NAMES = [
    "Ada Lovelace",
    "Alan Turing",
    "Grace Hopper",
    "東京",
    "São Paulo",
    "👩🏽‍💻 Team",
    "Zürich",
]


def large_document(seed: int, paragraphs: bool) -> tuple[str, list[dict[str, Any]]]:
    """About 50,000 characters with 500 entities (some overlapping), deterministic."""
    rng = random.Random(seed)
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0  # code points
    while length < 50_000:
        if rng.random() < 0.12:
            name = rng.choice(NAMES)
            spans.append((length, length + len(name)))
            piece = name + " "
        else:
            piece = rng.choice(WORDS) + " "
        if paragraphs and rng.random() < 0.01:
            piece += "\n\n"
        parts.append(piece)
        length += len(piece)
    text = "".join(parts)
    chosen = rng.sample(spans, 450)
    entities = [{"label": "Person", "startOffset": a, "endOffset": b} for a, b in chosen]
    # Fifty overlapping spans: each runs from one name into the words after it.
    for a, b in chosen[:50]:
        entities.append({"label": "Location", "startOffset": a, "endOffset": b + 4})
    return text, entities


def open_large(crowd_page: Callable[[str], Page], paragraphs: bool) -> tuple[Page, float]:
    text, entities = large_document(7, paragraphs)
    labels = html.escape(json.dumps([{"label": "Person"}, {"label": "Location"}]))
    page = crowd_page(
        f'<crowd-form><crowd-entity-annotation name="ner" labels="{labels}">'
        "</crowd-entity-annotation></crowd-form>"
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    load_ms: float = page.evaluate(
        """([text, initial]) => {
          const el = document.querySelector('crowd-entity-annotation');
          const t0 = performance.now();
          el.setAttribute('initial-value', JSON.stringify(initial));
          el.setAttribute('text', text);
          el.shadowRoot.querySelector('.doc').getBoundingClientRect();  // force layout
          return performance.now() - t0;
        }""",
        [text, entities],
    )
    return page, load_ms


@pytest.mark.parametrize("paragraphs", [True, False], ids=["paragraphs", "one-paragraph"])
def test_50k_characters_and_500_entities(
    crowd_page: Callable[[str], Page], paragraphs: bool
) -> None:
    page, load_ms = open_large(crowd_page, paragraphs)
    text, _ = large_document(7, paragraphs)
    element = page.locator("crowd-entity-annotation")
    answer = element.evaluate("el => el.crowdValue.entities")
    assert len(answer) == 500
    assert element.locator(".doc .tag").count() == 500
    for entity in answer[:20]:
        assert text[entity["startOffset"] : entity["endOffset"]].strip()

    # Label the last word with the keyboard, then time one label change and a scroll.
    element.locator(".doc").focus()
    page.keyboard.press("Control+End")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("1")
    answer = element.evaluate("el => el.crowdValue.entities")
    assert len(answer) == 501
    last_word = text.rstrip().rsplit(" ", 1)[-1]
    assert {
        "label": "Person",
        "startOffset": len(text.rstrip()) - len(last_word),
        "endOffset": len(text.rstrip()),
    } in answer
    label_ms, scroll_ms = element.evaluate(
        """async (el) => {
          const t0 = performance.now();
          el.shadowRoot.querySelector('.chip').click();  // toggles the label off again
          el.shadowRoot.querySelector('.doc').getBoundingClientRect();
          const labelMs = performance.now() - t0;
          const scroller = el.shadowRoot.querySelector('.scroller');
          const frames = [];
          let last = performance.now();
          for (let i = 0; i < 60; i++) {
            scroller.scrollTop = (scroller.scrollHeight * i) / 60;
            await new Promise((resolve) => requestAnimationFrame(resolve));
            const now = performance.now();
            frames.push(now - last);
            last = now;
          }
          frames.sort((a, b) => a - b);
          return [labelMs, frames[Math.floor(frames.length * 0.95)]];
        }"""
    )
    assert len(element.evaluate("el => el.crowdValue.entities")) == 500
    print(
        f"\n50k chars ({'paragraphs' if paragraphs else 'one paragraph'}), 500 entities: "
        f"load+layout {load_ms:.0f} ms, one label change {label_ms:.1f} ms, "
        f"scroll frame p95 {scroll_ms:.1f} ms"
    )
