"""Shared pieces of the image-tool browser tests: a CORS image server, page openers, mouse helpers.

The image tools are tested with images served from a second origin (as signed media URLs are in
production), so every path that must work cross-origin is exercised.
"""

from __future__ import annotations

import html
import http.server
import io
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest
from PIL import Image
from playwright.sync_api import Page

CrowdPage = Callable[[str], Page]


class _ImageHandler(http.server.BaseHTTPRequestHandler):
    files: ClassVar[dict[str, tuple[bytes, str, bool]]] = {}

    def do_GET(self) -> None:
        found = self.files.get(self.path.split("?")[0])
        if found is None:
            self.send_error(404)
            return
        body, content_type, cors = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if cors:
            self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class ImageServer:
    """Serves bytes registered with `add` on a second origin, with `Access-Control-Allow-Origin`
    unless `cors=False`."""

    def __init__(self) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ImageHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(
        self, name: str, body: bytes, content_type: str = "image/png", cors: bool = True
    ) -> str:
        _ImageHandler.files[f"/{name}"] = (body, content_type, cors)
        return f"{self.base}/{name}"

    def add_image(self, name: str, image: Image.Image, cors: bool = True, **save: Any) -> str:
        fmt = "JPEG" if name.endswith(".jpg") else "PNG"
        return self.add(name, encode(image, fmt, **save), f"image/{fmt.lower()}", cors)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def encode(image: Image.Image, fmt: str = "PNG", **save: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


@pytest.fixture(scope="session", name="image_server")
def serve_images() -> Iterator[ImageServer]:
    """The second origin; test modules import this function, then ask for `image_server`."""
    server = ImageServer()
    yield server
    server.close()


def attr(value: Any) -> str:
    """An attribute value the way a Liquid template writes it (`| to_json | escape`)."""
    return html.escape(json.dumps(value), quote=True)


def open_tool(
    crowd_page: CrowdPage,
    tag: str,
    inner: str = "",
    width: int = 1280,
    height: int = 800,
    **attrs: Any,
) -> Page:
    """Opens a page with one image tool inside a <crowd-form>; waits until its image is ready."""
    attributes = {"name": "annotatedResult", **attrs}
    rendered = " ".join(
        f'{k.replace("_", "-")}="{v if isinstance(v, str) else attr(v)}"'
        for k, v in attributes.items()
    )
    page = crowd_page(f"<crowd-form><{tag} {rendered}>{inner}</{tag}></crowd-form>")
    page.set_viewport_size({"width": width, "height": height})
    page.evaluate(f"document.querySelector('{tag}').ready")
    page.wait_for_timeout(50)
    return page


def value(page: Page, tag: str) -> Any:
    return page.evaluate(f"document.querySelector('{tag}').crowdValue")


def validate(page: Page, tag: str) -> Any:
    return page.evaluate(f"document.querySelector('{tag}').crowdValidate()")


class Screen:
    """Converts original-pixel coordinates to page coordinates using where the image is shown."""

    def __init__(self, page: Page, tag: str) -> None:
        self.page = page
        self.tag = tag
        self.refresh()

    def refresh(self) -> None:
        info = self.page.evaluate(
            f"""() => {{
              const el = document.querySelector('{self.tag}');
              const stage = el.viewport.annotationCanvas.getBoundingClientRect();
              return {{rect: el.viewport.imageRect(), width: el.photo.width,
                       height: el.photo.height, stage: stage.toJSON()}};
            }}"""
        )
        self.rect = info["rect"]
        self.stage = info["stage"]
        self.width = info["width"]
        self.height = info["height"]
        self.scale = self.rect["width"] / self.width

    def point(self, x: float, y: float) -> tuple[int, int]:
        """The whole page pixel nearest to an original-pixel point."""
        return (
            round(self.rect["left"] + x * self.scale),
            round(self.rect["top"] + y * self.scale),
        )

    def original(self, px: float, py: float) -> tuple[float, float]:
        """Original-pixel coordinates (fractional) of a page point."""
        return ((px - self.rect["left"]) / self.scale, (py - self.rect["top"]) / self.scale)

    def drag(self, a: tuple[float, float], b: tuple[float, float], steps: int = 8) -> None:
        """Drags between two original-pixel points."""
        mouse = self.page.mouse
        mouse.move(*self.point(*a))
        mouse.down()
        mouse.move(*self.point(*b), steps=steps)
        mouse.up()

    def click(self, x: float, y: float) -> None:
        self.page.mouse.click(*self.point(x, y))


# A marker of exactly this colour is drawn into test scenes so screenshots can locate it.
MARKER = (255, 0, 0)


def street_scene(
    width: int, height: int, marker: tuple[int, int, int, int] | None = None
) -> Image.Image:
    """A synthetic street: sky, buildings, road and cars; `marker` (left, top, right, bottom) is
    painted in MARKER red. Drawn at 1/8 size and scaled up so large scenes stay cheap to make."""
    from PIL import ImageDraw

    small_w, small_h = max(1, width // 8), max(1, height // 8)
    scene = Image.new("RGB", (small_w, small_h), "#9cc3e6")
    draw = ImageDraw.Draw(scene)
    horizon = int(small_h * 0.55)
    for i in range(horizon):
        shade = int(200 + 40 * i / max(1, horizon))
        draw.line([(0, i), (small_w, i)], fill=(shade - 70, shade - 30, min(255, shade + 20)))
    colors = ["#8d6e63", "#a1887f", "#78909c", "#b0bec5", "#6d4c41", "#90a4ae"]
    x = 0
    for i in range(40):
        w = small_w // 9 + (i * 37) % (small_w // 12 + 1)
        top = int(horizon * (0.25 + 0.5 * ((i * 53) % 17) / 17))
        draw.rectangle([x, top, x + w, horizon], fill=colors[i % len(colors)])
        for wy in range(top + 6, horizon - 6, 12):
            for wx in range(x + 5, x + w - 8, 11):
                draw.rectangle([wx, wy, wx + 5, wy + 6], fill="#e3f2fd")
        x += w + 2
        if x > small_w:
            break
    draw.rectangle([0, horizon, small_w, small_h], fill="#546e7a")
    for i in range(0, small_w, small_w // 10 + 1):
        draw.rectangle(
            [i, int(small_h * 0.78), i + small_w // 20, int(small_h * 0.79)], fill="#eceff1"
        )
    for i, color in enumerate(["#1e88e5", "#fdd835", "#43a047"]):
        cx = int(small_w * (0.15 + 0.3 * i))
        cy = int(small_h * (0.66 + 0.08 * (i % 2)))
        draw.rounded_rectangle([cx, cy, cx + small_w // 7, cy + small_h // 10], 6, fill=color)
        draw.ellipse([cx + 6, cy + small_h // 12, cx + 20, cy + small_h // 12 + 14], fill="#212121")
        draw.ellipse(
            [
                cx + small_w // 7 - 22,
                cy + small_h // 12,
                cx + small_w // 7 - 8,
                cy + small_h // 12 + 14,
            ],
            fill="#212121",
        )
    for fx in (0.6, 0.93):  # pedestrians on the far pavement
        px, top = int(small_w * fx), int(small_h * 0.5)
        draw.ellipse([px - 4, top, px + 4, top + 8], fill="#ffccbc")
        draw.rounded_rectangle([px - 6, top + 9, px + 6, top + 30], 3, fill="#37474f")
        draw.rectangle([px - 5, top + 30, px + 5, top + 44], fill="#263238")
    image = scene.resize((width, height), Image.Resampling.BILINEAR)
    if marker:
        ImageDraw.Draw(image).rectangle(
            [marker[0], marker[1], marker[2] - 1, marker[3] - 1], fill=MARKER
        )
    return image


def submit(page: Page) -> list[Any]:
    """Clicks the form's Submit button; returns everything submitted so far."""
    page.locator("crowd-form .footer crowd-button .button").click()
    return page.evaluate("window.submitted")  # type: ignore[no-any-return]


def marker_on_screen(
    page: Page, color: tuple[int, int, int] = MARKER, tolerance: int = 40
) -> tuple[int, int, int, int]:
    """Bounding box (left, top, right, bottom) in page pixels of the pixels of `color` in a
    screenshot: where the browser really drew a marker."""
    import numpy as np

    shot = np.array(Image.open(io.BytesIO(page.screenshot())).convert("RGB")).astype(int)
    close = (np.abs(shot - np.array(color)) <= tolerance).all(axis=2)
    ys, xs = np.nonzero(close)
    assert len(xs), "marker not visible"
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
