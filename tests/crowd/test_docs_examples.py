"""Every ```html example in docs/crowd-elements*.md, rendered as the worker portal renders a
template (truthset.taskui.render with a fitting task.input) in real Chromium: its crowd-* tags are
all defined, no script error, every answering element is on screen, and a screenshot is kept in
test-output/screenshots/docs-<page>-<n>.png for the reader to compare with the docs."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.crowd.gallery import task_input_for
from truthset.taskui import render

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs"
FENCE = re.compile(r"```html\n(.*?)```", re.DOTALL)


def examples() -> list[tuple[str, str]]:
    found = []
    for doc in sorted(DOCS.glob("crowd-elements*.md")):
        for n, block in enumerate(FENCE.findall(doc.read_text(encoding="utf-8")), start=1):
            found.append((f"{doc.stem}-{n}", block))
    return found


EXAMPLES = examples()

CHECK = """() => {
  const tags = new Set();
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      tags.add(el.localName);
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  visit(document);
  const undefinedTags = [...tags].filter((t) => t.startsWith('crowd-') && !customElements.get(t));
  const hidden = [...document.querySelectorAll('crowd-form *')]
    .filter((el) => 'crowdValue' in el && el.getAttribute('name') && !el.closest('crowd-tab[hidden]'))
    .filter((el) => el.getBoundingClientRect().height === 0)
    .map((el) => el.localName);
  return {undefinedTags, hidden};
}"""


def test_the_docs_have_examples() -> None:
    names = {name.rsplit("-", 1)[0] for name, _ in EXAMPLES}
    assert {"crowd-elements", "crowd-elements-image-tools"} <= names
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize(("name", "example"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_docs_example_renders(
    name: str,
    example: str,
    page: Page,
    crowd_document: Callable[[str], str],
    screenshot_dir: Path,
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    kind = "audio" if "<audio" in example else "images"
    html = render(example, task_input_for(example, f"{kind}/docs.html"), lambda uri: uri)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(crowd_document(f"<!doctype html><meta charset='utf-8'><body>{html}</body>"))
    page.wait_for_function("customElements.get('crowd-form') !== undefined")
    page.wait_for_timeout(400)
    result = page.evaluate(CHECK)
    page.screenshot(path=str(screenshot_dir / f"docs-{name}.png"))
    assert result == {"undefinedTags": [], "hidden": []}
    assert errors == []
