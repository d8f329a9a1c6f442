"""A static page server for testing the Crowd HTML Elements on their own, without the app."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from playwright.sync_api import Page

STATIC = Path(__file__).resolve().parents[2] / "src" / "truthset" / "web" / "static"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>crowd test</title>
<script type="module" src="/static/crowd/crowd-html-elements.js"></script></head>
<body>{body}
<script>
  window.submitted = [];
  document.addEventListener("crowd-submit", (e) => window.submitted.push(e.detail));
</script></body></html>"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    pages: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        if self.path in self.pages:
            body = self.pages[self.path]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def crowd_server() -> Iterator[str]:
    """Serves src/truthset/web/static under /static/ and test pages registered by crowd_page."""
    handler = functools.partial(_Handler, directory=str(STATIC.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def crowd_page(crowd_server: str, page: Page) -> Callable[[str], Page]:
    """Opens a page whose body is the given HTML, with the crowd elements loaded.

    Submitting a <crowd-form> outside an iframe dispatches `crowd-submit`; the test page
    collects each answer in `window.submitted`.
    """

    def open_page(body: str) -> Page:
        path = f"/test-page-{len(_Handler.pages)}.html"
        _Handler.pages[path] = PAGE.format(body=body).encode()
        page.goto(crowd_server + path)
        page.wait_for_function("customElements.get('crowd-form') !== undefined")
        return page

    return open_page


@pytest.fixture
def crowd_document(crowd_server: str) -> Callable[[str], str]:
    """Registers a whole HTML document (a rendered template, say) and returns its URL."""

    def register(html: str) -> str:
        path = f"/test-document-{len(_Handler.pages)}.html"
        _Handler.pages[path] = html.encode()
        return crowd_server + path

    return register


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
