"""Text task types in the real portal: classify text and highlight entities with mouse and
keyboard, submit, then check the stored answers and the output lines."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FrameLocator, Page, expect
from sqlalchemy import select

from tests.browser.conftest import Live
from tests.support.factories import PASSWORD, make_team, write_manifest
from truthset import dispatch, jobs
from truthset.db.tables import Annotation, Job
from truthset.workforce import UserInfo

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

MOODS = ["negative", "positive", "neutral"]
REVIEWS = {
    "The food was delicious.": "positive",
    "Cold soup and a rude waiter.": "negative",
    "It is a restaurant on a street.": "neutral",
}
TOPICS = ["food", "service", "price"]
NER_LABELS = [
    {"label": "Person", "shortDisplayName": "PER"},
    {"label": "Organization", "shortDisplayName": "ORG"},
]
# CR LF between the paragraphs, an astral emoji and a ZWJ sequence before the names: offsets
# stay right only if the page keeps every code point of the source.
NER_TEXTS = [
    "Ada Lovelace wrote to Charles Babbage.\r\n\r\n👩‍🔬 Grace Hopper joined IBM in 1949.",
    "😀 東京: Katherine Johnson worked at NASA.",
]


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def create_job(live: Live, name: str, task: str, texts: list[str], **values: Any) -> jobs.JobInfo:
    root = live.dep.settings.data_dir.resolve()
    manifest = write_manifest(root / f"{name}.manifest", [{"source": t} for t in texts])
    request = jobs.JobRequest(
        name=name,
        manifest=str(manifest),
        output=str(root / "output"),
        task_type=task,
        team="radiologists",
        title=name.replace("-", " ").capitalize(),
        **values,
    )
    return jobs.create_job(live.dep, request)


def sign_in(page: Page, live: Live, worker: UserInfo) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live.url + "/login")
    page.get_by_label("E-mail").fill(worker.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your labeling jobs")).to_be_visible()


def task_frame(page: Page) -> FrameLocator:
    return page.frame_locator("iframe:not([hidden])")


def stored_answers(live: Live, name: str) -> dict[int, list[dict[str, Any]]]:
    with live.dep.db.read() as conn:
        job_id = conn.scalar(select(Job.id).where(Job.name == name))
        rows = conn.execute(
            select(Annotation.object_id, Annotation.content)
            .where(Annotation.job_id == job_id)
            .order_by(Annotation.object_id, Annotation.id)
        ).all()
    answers: dict[int, list[dict[str, Any]]] = {}
    for object_id, content in rows:
        answers.setdefault(object_id, []).append(json.loads(content))
    return answers


def output_lines(live: Live, name: str) -> list[dict[str, Any]]:
    wait_for(lambda: jobs.describe_job(live.dep, name).status == "Completed")
    path = Path(jobs.describe_job(live.dep, name).output_manifest)
    return [json.loads(line) for line in path.read_text().splitlines()]


def shown_text(frame: FrameLocator, texts: list[str]) -> str:
    """The text of the task on screen (tasks come in dispatch order, not manifest order)."""
    target = frame.locator("classification-target")
    expect(target).to_have_text(re.compile("|".join(re.escape(t) for t in texts)))
    return str(target.text_content()).strip()


def finished(page: Page) -> None:
    expect(page.get_by_role("heading", name="No more work for you in this job")).to_be_visible()


def test_text_classification_by_mouse_and_keyboard(page: Page, live: Live, shots: Path) -> None:
    (worker,) = make_team(live.dep, workers=1)
    texts = list(REVIEWS)
    create_job(live, "moods", "text-classification", texts, labels=MOODS, workers_per_object=1)
    sign_in(page, live, worker)
    page.goto(live.url + "/portal/jobs/moods")
    for turn in range(len(texts)):
        frame = task_frame(page)
        expect(frame.locator("crowd-classifier")).to_be_visible()
        text = shown_text(frame, texts)
        label = REVIEWS[text]
        button = frame.get_by_role("button", name=label)
        expect(page.locator("#timer")).not_to_have_text("--:--")
        if turn % 2 == 0:
            button.click()
            expect(button).to_have_attribute("aria-pressed", "true")
            if turn == 0:
                page.screenshot(path=str(shots / "text-classification.png"))
            frame.get_by_role("button", name="Submit").click()
        else:
            page.keyboard.press(str(MOODS.index(label) + 1))
            expect(button).to_have_attribute("aria-pressed", "true")
            page.keyboard.press("Enter")
        if turn < len(texts) - 1:  # the next task replaces this one
            expect(task_frame(page).locator("classification-target")).not_to_have_text(text)
    finished(page)

    stored = stored_answers(live, "moods")
    assert stored == {i: [{"crowd-classifier": {"label": REVIEWS[t]}}] for i, t in enumerate(texts)}
    lines = output_lines(live, "moods")
    assert [line["source"] for line in lines] == texts
    for line in lines:
        meta = line["moods-metadata"]
        assert line["moods"] == MOODS.index(REVIEWS[line["source"]])
        assert meta["class-name"] == REVIEWS[line["source"]]
        assert meta["type"] == "groundtruth/text-classification"
        assert meta["confidence"] == 0.0  # one worker


def test_multilabel_text_classification_with_two_workers(
    page: Page, live: Live, shots: Path
) -> None:
    other, worker = make_team(live.dep, workers=2)
    texts = ["Great pasta, fair price.", "Slow service."]
    chosen = {texts[0]: ["food", "price"], texts[1]: ["service"]}
    create_job(
        live, "topics", "text-classification-multilabel", texts, labels=TOPICS, workers_per_object=2
    )
    # The first worker answers through the API; the second in the browser.
    while (task := dispatch.next_task(live.dep, other, "topics")) is not None:
        answer = ["food"] if task.object_id == 0 else ["service"]
        dispatch.submit_answer(
            live.dep, other, task.task_id, {"crowd-classifier-multi-select": {"labels": answer}}
        )
    sign_in(page, live, worker)
    page.goto(live.url + "/portal/jobs/topics")
    for turn in range(len(texts)):
        frame = task_frame(page)
        expect(frame.locator("crowd-classifier-multi-select")).to_be_visible()
        text = shown_text(frame, texts)
        for label in chosen[text]:
            button = frame.get_by_role("button", name=label)
            if turn == 0:
                button.click()
            else:
                page.keyboard.press(str(TOPICS.index(label) + 1))
            expect(button).to_have_attribute("aria-pressed", "true")
        if turn == 0:
            page.screenshot(path=str(shots / "text-classification-multilabel.png"))
            frame.get_by_role("button", name="Submit").click()
        else:
            page.keyboard.press("Enter")
        if turn < len(texts) - 1:  # the next task replaces this one
            expect(task_frame(page).locator("classification-target")).not_to_have_text(text)
    finished(page)

    stored = stored_answers(live, "topics")
    assert stored[0][1] == {"crowd-classifier-multi-select": {"labels": ["food", "price"]}}
    assert stored[1][1] == {"crowd-classifier-multi-select": {"labels": ["service"]}}
    first, second = output_lines(live, "topics")
    assert first["source"] == texts[0] and sorted(first["topics"]) == [0, 2]
    meta = first["topics-metadata"]
    assert meta["type"] == "groundtruth/text-classification-multilabel"
    assert meta["class-map"] == {"0": "food", "2": "price"}
    assert meta["confidence-map"]["0"] > meta["confidence-map"]["2"] > 0
    assert second["topics"] == [1] and second["topics-metadata"]["class-map"] == {"1": "service"}


# Finds the viewport rectangle of a code point range inside the element, from its documented
# structure: one `.block` per line (data-start = its first UTF-16 offset), whose text nodes
# outside `.tag` chips are the line's text.
RECT_JS = """
(host, [start, end]) => {
  const point = (unit) => {
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
    return last ? [last, last.data.length] : [block, 0];
  };
  const range = document.createRange();
  range.setStart(...point(start));
  range.setEnd(...point(end));
  const rects = [...range.getClientRects()].filter((r) => r.width > 0);
  const first = rects[0], last = rects[rects.length - 1];
  return [first.left, first.top + first.height / 2, last.right, last.top + last.height / 2];
}
"""


def utf16(text: str, code_points: int) -> int:
    return len(text[:code_points].encode("utf-16-le")) // 2


def entity(text: str, needle: str, label: str) -> dict[str, Any]:
    start = text.index(needle)
    return {"label": label, "startOffset": start, "endOffset": start + len(needle)}


def drag_over(page: Page, frame: FrameLocator, text: str, needle: str) -> None:
    """Drags the mouse across `needle` in the entity text of the task frame."""
    start = text.index(needle)
    span = [utf16(text, start), utf16(text, start + len(needle))]
    x1, y1, x2, y2 = frame.locator("crowd-entity-annotation").evaluate(RECT_JS, span)
    box = page.locator("iframe:not([hidden])").evaluate(
        "f => { const r = f.getBoundingClientRect(); return [r.left + f.clientLeft, r.top + f.clientTop]; }"
    )
    page.mouse.move(box[0] + x1 + 1, box[1] + y1)
    page.mouse.down()
    page.mouse.move(box[0] + (x1 + x2) / 2, box[1] + (y1 + y2) / 2, steps=4)
    page.mouse.move(box[0] + x2 - 1, box[1] + y2, steps=4)
    page.mouse.up()


def test_named_entities_by_mouse_and_keyboard(page: Page, live: Live, shots: Path) -> None:
    other, worker = make_team(live.dep, workers=2)
    root = live.dep.settings.data_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    config = {
        "document-version": "2018-11-28",
        "labels": NER_LABELS,
        "instructions": {
            "shortInstruction": "<p>Highlight <b>people</b> and organizations.</p>",
            "fullInstruction": "<p>Titles are not part of a name.</p>",
        },
    }
    (root / "ner.json").write_text(json.dumps(config))
    create_job(
        live,
        "names",
        "named-entity-recognition",
        NER_TEXTS,
        label_config=str(root / "ner.json"),
        workers_per_object=2,
    )
    first, second = NER_TEXTS
    mouse_answer = [
        entity(first, "Ada Lovelace", "Person"),
        entity(first, "Grace Hopper", "Person"),
        entity(first, "IBM", "Organization"),
    ]
    keyboard_answer = [
        entity(second, "Katherine Johnson", "Person"),
        entity(second, "NASA", "Organization"),
    ]
    # The other worker agrees on the first text except for IBM, and marks a shorter name on
    # the second.
    other_answers = {
        0: [entity(first, "Ada Lovelace", "Person"), entity(first, "Grace Hopper", "Person")],
        1: [entity(second, "Johnson", "Person"), entity(second, "NASA", "Organization")],
    }
    while (task := dispatch.next_task(live.dep, other, "names")) is not None:
        content = {"crowd-entity-annotation": {"entities": other_answers[task.object_id]}}
        dispatch.submit_answer(live.dep, other, task.task_id, content)

    sign_in(page, live, worker)
    page.goto(live.url + "/portal/jobs/names")
    for turn in range(len(NER_TEXTS)):
        frame = task_frame(page)
        host = frame.locator("crowd-entity-annotation")
        expect(host.locator(".chip").first).to_be_visible()
        expect(page.locator("#timer")).not_to_have_text("--:--")
        text = str(host.get_attribute("text"))
        assert text in NER_TEXTS, "the page must keep every code point of the source (CR LF)"
        if text == first:
            label_by_mouse(page, frame, shots)
        else:
            label_by_keyboard(page, frame, shots)
        page.keyboard.press("Enter")
        if turn < len(NER_TEXTS) - 1:
            after = task_frame(page).locator("crowd-entity-annotation")
            expect(after).not_to_have_attribute("text", text)
    finished(page)

    stored = stored_answers(live, "names")
    assert stored[0][1] == {"crowd-entity-annotation": {"entities": mouse_answer}}
    assert stored[1][1] == {"crowd-entity-annotation": {"entities": keyboard_answer}}
    one, two = output_lines(live, "names")
    assert one["names"]["annotations"]["labels"] == NER_LABELS
    assert one["names"]["annotations"]["entities"] == mouse_answer  # IBM: 1 of 2 is enough
    assert one["names-metadata"]["type"] == "groundtruth/text-span"
    assert [c["confidence"] for c in one["names-metadata"]["entities"]] == [1.0, 1.0, 0.5]
    # "Katherine Johnson" against "Johnson": no clear mode, so the wider span.
    assert two["names"]["annotations"]["entities"] == keyboard_answer
    confidences = [c["confidence"] for c in two["names-metadata"]["entities"]]
    assert 0 < confidences[0] < 1 and confidences[1] == 1.0
    for line in (one, two):
        for found in line["names"]["annotations"]["entities"]:
            assert line["source"][found["startOffset"] : found["endOffset"]] in (
                "Ada Lovelace",
                "Grace Hopper",
                "IBM",
                "Katherine Johnson",
                "NASA",
            )


def label_by_mouse(page: Page, frame: FrameLocator, shots: Path) -> None:
    text = NER_TEXTS[0]
    host = frame.locator("crowd-entity-annotation")
    expect(host.locator("short-instructions, .help").first).to_contain_text("people")
    drag_over(page, frame, text, "Ada Lovelace")
    host.locator(".chip", has_text="Person").click()
    drag_over(page, frame, text, "Grace Hopper")  # after the CR LF and the emoji
    host.locator(".chip", has_text="Person").click()
    drag_over(page, frame, text, "IBM")
    host.locator(".chip", has_text="Organization").click()
    expect(host.locator(".doc .tag")).to_have_count(3)
    page.screenshot(path=str(shots / "named-entity-recognition-mouse.png"))


def label_by_keyboard(page: Page, frame: FrameLocator, shots: Path) -> None:
    host = frame.locator("crowd-entity-annotation")
    page.keyboard.press("Tab")  # into the text: the element's first tab stop
    expect(host.locator(".doc")).to_be_focused()
    # Word stops: 😀, 東京, ":", Katherine.
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("1")
    page.keyboard.press("End")
    page.keyboard.press("Alt+ArrowLeft")  # before the full stop
    for _ in range(4):
        page.keyboard.press("Alt+Shift+ArrowLeft")
    page.keyboard.press("2")
    expect(host.locator(".doc .tag")).to_have_count(2)
    page.screenshot(path=str(shots / "named-entity-recognition-keyboard.png"))
