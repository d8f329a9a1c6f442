"""Every template of Ground Truth's sample gallery, rendered the way the worker portal renders it
(truthset.taskui.render, with a task.input that fits the template), in real Chromium: every
crowd-* tag it uses is defined, no script error, and submitting either delivers an answer or tells
the worker what is missing.

The gallery is read from the workplace (tests/crowd/gallery.py says where), never copied into the
repository. Nothing leaves the machine: requests to other hosts are refused, so templates that
load a library from a CDN (d3, jQuery, draggable, uuid) cannot run it here; their errors must be
exactly the missing library's and nothing else. In production an admin allows those origins.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, Route

from tests.crowd.gallery import gallery_root, gallery_templates, task_input_for
from truthset.taskui import render

pytestmark = pytest.mark.browser

ROOT = gallery_root()
TEMPLATES = gallery_templates(ROOT) if ROOT else []
REPORT = Path(__file__).resolve().parents[2] / "test-output" / "gallery-report.json"

# Templates that call a library loaded from another origin, and the error its absence raises.
NEEDS_CDN_LIBRARY = {
    "other/time-series-using-d3js.liquid.html": "d3 is not defined",
    "images/multi-image-classification-draggable.liquid.html": "Draggable is not defined",
    "other/content-evaluation.liquid.html": "$ is not defined",
}

# Templates whose onsubmit check wants keypoints placed or images dragged: a worker must draw.
NEEDS_DRAWING = {
    "images/keypoint-additional-answer-validation.liquid.html",
    "images/multi-image-classification-draggable.liquid.html",
}

# Walks the document and every open shadow root: the tags in use, and those not defined.
UNDEFINED_TAGS = """() => {
  const tags = new Set();
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      tags.add(el.localName);
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  visit(document);
  const crowd = [...tags].filter((t) => t.startsWith('crowd-')).sort();
  return {used: crowd, undefined: crowd.filter((t) => !customElements.get(t))};
}"""

# A worker who answers everything the template asks, through the elements' own properties (the
# per-element tests drive the mouse and keys): the first category, the required fields, a rank
# for each response, one question and answer.
ANSWER = """() => {
  const all = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      all.push(el);
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  visit(document);
  const samples = {number: '3', email: 'worker@example.com', url: 'http://example.com',
                   date: '2024-01-01', tel: '5550100'};
  const text = (type) => samples[type] || 'sample answer';
  for (const el of all) {
    const tag = el.localName;
    if (tag.includes('classifier') || tag === 'crowd-rekognition-detect-moderation-labels') {
      if (!el.crowdValidate?.()) continue;
      el.choose(0);
    } else if ((tag === 'crowd-input' || tag === 'crowd-text-area') && !el.value) {
      if (el.hasAttribute('required') || el.getAttribute('min-length')) el.value = text(el.getAttribute('type'));
    } else if (tag === 'crowd-slider') {
      el.value = el.min;
    } else if (tag === 'crowd-checkbox' || tag === 'crowd-toggle-button') {
      if (el.hasAttribute('required')) el.checked = true;
    } else if (tag === 'crowd-text-ranking') {
      el.dimensions.forEach((_, d) => el.responses.forEach((_, i) => el.setRank(d, i, i + 1)));
    } else if (tag === 'crowd-question-answer-generation') {
      for (const pair of el.pairs) {
        Object.assign(pair, {question: 'What is it about?', answer: 'The passage', tag: el.tags[0] || ''});
      }
    } else if (tag === 'crowd-textract-analyze-document') {
      for (const missing of el.missing) missing.notFound = true;
    } else if (tag === 'select' && el.required && !el.value) {
      const option = [...el.options].find((o) => o.value);
      if (option) el.value = option.value;
    } else if (tag === 'textarea' && el.required && !el.value) {
      el.value = 'sample answer';
    } else if (tag === 'input' && el.required) {
      if (el.type === 'radio') {
        const group = all.filter((o) => o.localName === 'input' && o.type === 'radio' && o.name === el.name);
        if (!group.some((o) => o.checked)) group[0].checked = true;
      } else if (el.type === 'checkbox') el.checked = true;
      else if (!el.value) el.value = el.max || el.min || text(el.type);
    }
  }
}"""

SUBMIT = """async () => {
  const tool = document.querySelector('crowd-entity-annotation');
  const form = document.querySelector('crowd-form') || tool?.shadowRoot.querySelector('crowd-form');
  if (!form) return {form: false};
  const answers = [];
  document.addEventListener('crowd-submit', (e) => answers.push(e.detail));
  const accepted = await form.submit();
  const alerts = [...document.querySelectorAll('crowd-alert')].filter((a) => a.checkVisibility());
  const button = form.submitButton();
  const problem = button.localName === 'crowd-button' ? button.problemText
    : form.nativeProblem && !form.nativeProblem.hidden ? form.nativeProblem.textContent : null;
  return {form: true, accepted, answer: answers[0] ?? null, problem, outcome: form.lastOutcome,
          templateAlert: alerts.length > 0};
}"""


def relative(path: Path) -> str:
    assert ROOT is not None
    return path.relative_to(ROOT).as_posix()


def offline(route: Route) -> None:
    host = urlparse(route.request.url).hostname
    if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:")):
        route.continue_()
    else:
        route.abort("internetdisconnected")


@pytest.fixture(scope="module")
def results() -> Iterator[dict[str, Any]]:
    collected: dict[str, Any] = {}
    yield collected
    if collected:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        clean = sorted(name for name, r in collected.items() if r["clean"])
        REPORT.write_text(
            json.dumps(
                {"templates": len(collected), "clean": len(clean), "results": collected}, indent=1
            )
        )


def open_template(browser: Browser, url: str) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("**/*", offline)
    page.goto(url, wait_until="load")
    page.wait_for_function("customElements.get('crowd-form') !== undefined")
    page.wait_for_timeout(300)
    return page, errors


@pytest.mark.skipif(ROOT is None, reason="the template gallery is not in this workplace")
@pytest.mark.parametrize("template", TEMPLATES, ids=[relative(t) for t in TEMPLATES])
def test_gallery_template_renders_and_submits(
    template: Path,
    browser: Browser,
    crowd_document: Callable[[str], str],
    results: dict[str, Any],
) -> None:
    name = relative(template)
    source = template.read_text(encoding="utf-8")
    task_input = task_input_for(source, name)
    html = render(source, task_input, lambda uri: uri)
    page, errors = open_template(browser, crowd_document(html))
    try:
        tags = page.evaluate(UNDEFINED_TAGS)
        outcome = page.evaluate(SUBMIT)
        if not outcome.get("accepted"):
            page.evaluate(ANSWER)
            answered = page.evaluate(SUBMIT)
            outcome = {**outcome, "answered": answered}
        errors = list(errors)
    finally:
        page.close()
    expected_error = NEEDS_CDN_LIBRARY.get(name)
    unexpected = [e for e in errors if not (expected_error and expected_error in e)]
    clean = not tags["undefined"] and not errors
    results[name] = {"clean": clean, "tags": tags["used"], "errors": errors, **outcome}
    assert tags["undefined"] == [], f"{name} uses undefined elements"
    assert unexpected == [], f"{name} raised errors"
    assert outcome["form"], f"{name} has no crowd-form"
    # Submitting unanswered either delivered an answer or showed the worker what is missing: the
    # form's message, or the template's own alert after its onsubmit handler refused.
    if outcome["accepted"]:
        assert isinstance(outcome["answer"], dict)
        return
    if outcome["outcome"] == "vetoed":
        assert outcome["templateAlert"], f"{name}: the template refused without a message"
    else:
        assert outcome["problem"], f"{name}: submit did nothing and said nothing"
    # Answered, it delivers, unless the template's own check wants drawing or dragging.
    answered = outcome["answered"]
    if name in NEEDS_DRAWING:
        assert answered["outcome"] == "vetoed" and answered["templateAlert"]
    else:
        assert answered["accepted"], f"{name}: answered, but refused: {answered['problem']}"
        assert isinstance(answered["answer"], dict) and answered["answer"]
