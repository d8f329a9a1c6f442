"""A human loop in the worker portal (Chromium): the flow is in the worker's job list, each
loop's input shows in the flow's template, the keyboard answers it, and the loop's output.json
holds the answer."""

from __future__ import annotations

import json
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live
from tests.support.factories import PASSWORD, make_team
from truthset import task_uis
from truthset.review import flows, loops

TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form><crowd-classifier name="verdict" categories="['Right', 'Wrong']"
  header="Is the model right?"><classification-target>{{ task.input.text }}
  (model says {{ task.input.prediction }})</classification-target></crowd-classifier></crowd-form>"""


def wait_for_status(live: Live, name: str, status: str) -> loops.LoopInfo:
    deadline = time.monotonic() + 15
    while (loop := loops.describe_loop(live.dep, name)).status != status:
        assert time.monotonic() < deadline, loop.status
        time.sleep(0.1)
    return loop


def test_a_worker_reviews_loops_in_the_portal_by_keyboard(page: Page, live: Live) -> None:
    (worker,) = make_team(live.dep, "reviewers", workers=1)
    task_uis.create_task_ui(live.dep, "verdict-ui", TEMPLATE)
    flows.create_flow(
        live.dep,
        flows.FlowRequest(
            name="totals",
            team="reviewers",
            task_ui="verdict-ui",
            task_count=1,
            title="Check the invoice totals",
            description="Is the model's total right?",
            output_path=str(live.dep.settings.data_dir.resolve() / "a2i"),
        ),
    )
    items = {"inv-1": ("Total 12.50", "12.90", "2"), "inv-2": ("Total 3.00", "3.00", "1")}
    for name, (text, prediction, _key) in items.items():
        content = json.dumps({"text": text, "prediction": prediction})
        loops.start_loop(live.dep, "totals", name, content)

    page.goto(live.url + "/login")
    page.get_by_label("E-mail").fill(worker.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Check the invoice totals")).to_be_visible()
    expect(page.get_by_text("2 items left for you")).to_be_visible()
    page.get_by_role("link", name="Start working").click()
    frame = page.frame_locator("iframe:not([hidden])")
    shown: list[str] = []
    for text, _prediction, key in items.values():
        page.wait_for_function(
            "seen => { const f = document.querySelector('iframe:not([hidden])');"
            " return f && !seen.includes(f.dataset.task); }",
            arg=shown,
        )
        shown.append(page.locator("iframe:not([hidden])").get_attribute("data-task") or "")
        expect(frame.get_by_text(text)).to_be_visible()
        button = frame.get_by_role("button", name="Wrong" if key == "2" else "Right")
        expect(button).to_be_visible()
        expect(page.locator("#timer")).not_to_have_text("--:--")
        page.keyboard.press(key)
        expect(button).to_have_attribute("aria-pressed", "true")
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="No more work for you in this job")).to_be_visible()

    for name, expected in (("inv-1", "Wrong"), ("inv-2", "Right")):
        loop = wait_for_status(live, name, "Completed")
        assert loop.output_uri is not None
        output = json.loads(Path(loop.output_uri).read_text())
        (answer,) = output["humanAnswers"]
        assert answer["answerContent"] == {"verdict": {"label": expected}}
        assert answer["workerId"] == worker.worker_id
        assert output["humanLoopName"] == name
