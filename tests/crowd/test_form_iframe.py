"""<crowd-form> inside a sandboxed iframe talks to the worker portal with postMessage."""

from __future__ import annotations

import functools
import html
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from playwright.sync_api import FrameLocator, Page, expect

pytestmark = pytest.mark.browser

STATIC_PARENT = Path(__file__).resolve().parents[2] / "src" / "truthset" / "web"


class _CorsHandler(http.server.SimpleHTTPRequestHandler):
    """Serves /static/ with CORS: a sandboxed frame has an opaque origin, and module scripts are
    always fetched in CORS mode, so without the header the elements would not load."""

    pages: ClassVar[dict[str, bytes]] = {}

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def do_GET(self) -> None:
        body = self.pages.get(self.path)
        if body is None:
            super().do_GET()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def cors_server() -> Iterator[str]:
    handler = functools.partial(_CorsHandler, directory=str(STATIC_PARENT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


TEMPLATE = """<!doctype html><meta charset="utf-8">
<script type="module" src="{base}/static/crowd/crowd-html-elements.js"></script>
<crowd-form><crowd-classifier name="sentiment" header="How does the reviewer feel?"
  categories="['Positive', 'Negative', 'Neutral']">
  <classification-target>The soup was cold and the waiter ignored us.</classification-target>
  <short-instructions>Choose the feeling of the whole review.</short-instructions>
</crowd-classifier></crowd-form>"""

PORTAL = """<!doctype html><html><head><meta charset="utf-8"><title>portal</title></head>
<body style="margin:0">
<iframe id="task" sandbox="allow-scripts" style="width:100vw;height:100vh;border:0"
  srcdoc="{srcdoc}"></iframe>
<script>
  window.messages = [];
  window.hold = false;
  window.result = {{ ok: false, message: "This task has expired. Your answer was not saved." }};
  const frame = document.getElementById("task");
  window.answer = (result) =>
    frame.contentWindow.postMessage({{ type: "truthset:submit-result", ...result }}, "*");
  addEventListener("message", (event) => {{
    if (event.source !== frame.contentWindow) return;
    window.messages.push(event.data);
    if (event.data.type === "truthset:submit" && !window.hold) window.answer(window.result);
  }});
</script></body></html>"""


@pytest.fixture
def portal(cors_server: str, page: Page) -> Page:
    page.set_viewport_size({"width": 1280, "height": 800})
    srcdoc = html.escape(TEMPLATE.format(base=cors_server), quote=True)
    _CorsHandler.pages["/portal.html"] = PORTAL.format(srcdoc=srcdoc).encode()
    page.goto(cors_server + "/portal.html")
    page.wait_for_function("window.messages.some((m) => m.type === 'truthset:ready')")
    return page


def messages(page: Page, kind: str) -> list[Any]:
    return page.evaluate(f"window.messages.filter((m) => m.type === '{kind}')")


def task(page: Page) -> FrameLocator:
    return page.frame_locator("#task")


def test_ready_is_posted_once(portal: Page) -> None:
    assert messages(portal, "truthset:ready") == [{"type": "truthset:ready"}]


def test_submit_waits_for_the_portal_and_shows_its_refusal(
    portal: Page, screenshot_dir: Path
) -> None:
    frame = task(portal)
    frame.locator(".choice", has_text="Negative").click()
    portal.evaluate("window.hold = true")
    submit = frame.locator("crowd-form .footer crowd-button")
    submit.locator(".button").click()
    portal.wait_for_function("window.messages.some((m) => m.type === 'truthset:submit')")
    assert messages(portal, "truthset:submit") == [
        {"type": "truthset:submit", "answer": {"sentiment": {"label": "Negative"}}}
    ]
    expect(submit).to_have_attribute("loading", "")
    expect(submit.locator(".button")).to_be_disabled()
    frame.locator(".choice", has_text="Positive").focus()
    portal.keyboard.press("Enter")  # a second submit while waiting is ignored
    assert len(messages(portal, "truthset:submit")) == 1

    portal.evaluate("window.answer(window.result)")
    problem = submit.locator(".problem")
    expect(problem).to_have_text("This task has expired. Your answer was not saved.")
    expect(submit.locator(".button")).to_be_enabled()
    portal.screenshot(
        path=str(screenshot_dir / "form-in-iframe-refused.png"), animations="disabled"
    )

    portal.evaluate("window.hold = false; window.result = { ok: true }")
    frame.locator(".choice", has_text="Neutral").click()
    portal.keyboard.press("Enter")
    expect(submit).to_have_attribute("disabled", "")
    expect(submit.locator(".button")).to_have_accessible_name("Submitted")
    expect(problem).to_be_hidden()
    assert messages(portal, "truthset:submit")[-1]["answer"] == {"sentiment": {"label": "Neutral"}}
