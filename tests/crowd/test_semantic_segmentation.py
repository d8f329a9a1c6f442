"""<crowd-semantic-segmentation> in real Chromium: brush, eraser, polygon fill, undo, PNG output.

The output mask is decoded with Pillow and compared pixel by pixel with the rule the tool
documents: a pixel takes a label when its centre lies inside the brush stroke (a round-capped
segment of the brush radius) or inside the filled polygon (even-odd rule).
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page

from tests.crowd.test_image_viewport_support import (
    CrowdPage,
    ImageServer,
    Screen,
    encode,
    open_tool,
    serve_images,  # noqa: F401
    street_scene,
    submit,
    validate,
    value,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

TAG = "crowd-semantic-segmentation"
LABELS = ["sky", "building", "road", "vehicle"]
# base.js LABEL_COLORS, by label index.
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
Point = tuple[int, int]


def rgba(hex_color: str) -> tuple[int, int, int, int]:
    n = int(hex_color[1:], 16)
    return (n >> 16, (n >> 8) & 255, n & 255, 255)


@pytest.fixture(scope="module")
def scene_url(image_server: ImageServer) -> str:
    return image_server.add_image("street-seg-1200x800.png", street_scene(1200, 800))


def seg_page(crowd_page: CrowdPage, src: str, inner: str = "", **attrs: Any) -> tuple[Page, Screen]:
    page = open_tool(
        crowd_page, TAG, inner, src=src, labels=LABELS, header="Label every pixel", **attrs
    )
    return page, Screen(page, TAG)


def mask_of(result: dict[str, Any]) -> np.ndarray:
    image = Image.open(io.BytesIO(base64.b64decode(result["labeledImage"]["pngImageData"])))
    assert image.mode == "RGBA"
    return np.asarray(image)


def classes(mask: np.ndarray) -> np.ndarray:
    """Label index + 1 per pixel, 0 for transparent; fails on any other colour."""
    out = np.zeros(mask.shape[:2], dtype=int)
    known = mask[..., 3] == 0
    assert (mask[known] == 0).all()
    for i, color in enumerate(COLORS):
        here = (mask == np.array(rgba(color))).all(axis=2)
        out[here] = i + 1
        known |= here
    assert known.all(), "a colour that is no label colour"
    return out


def centres(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:height, 0:width]
    return xs + 0.5, ys + 0.5


def stroke_distance(
    width: int, height: int, a: tuple[float, float], b: tuple[float, float]
) -> np.ndarray:
    """Distance of every pixel centre to the segment a-b."""
    cx, cy = centres(width, height)
    dx, dy = b[0] - a[0], b[1] - a[1]
    t = np.clip(((cx - a[0]) * dx + (cy - a[1]) * dy) / (dx * dx + dy * dy), 0, 1)
    return np.hypot(cx - a[0] - t * dx, cy - a[1] - t * dy)  # type: ignore[no-any-return]


def inside_polygon(width: int, height: int, vertices: list[tuple[float, float]]) -> np.ndarray:
    cx, cy = centres(width, height)
    inside = np.zeros((height, width), dtype=bool)
    for (ax, ay), (bx, by) in zip(vertices, vertices[1:] + vertices[:1], strict=True):
        crosses = (ay <= cy) != (by <= cy)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = ax + (cy - ay) * (bx - ax) / (by - ay)
        inside ^= crosses & (cx < x_at)
    return inside


def drag(page: Page, a: Point, b: Point, steps: int = 12) -> None:
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move(*b, steps=steps)
    page.mouse.up()


def brush_radius(page: Page, screen: Screen) -> float:
    size = page.evaluate(f"document.querySelector('{TAG}').brushSize")
    return float(size) / 2 / screen.scale


def test_brush_eraser_polygon_undo_redo(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = seg_page(crowd_page, scene_url)
    w, h = 1200, 800
    radius = brush_radius(page, screen)
    a, b = screen.point(100, 200), screen.point(1100, 200)
    drag(page, a, b)  # label 1 (sky) with the brush
    page.keyboard.press("e")
    for _ in range(3):
        page.keyboard.press("[")
    eraser = brush_radius(page, screen)
    c, d = screen.point(600, 60), screen.point(600, 340)
    drag(page, c, d)
    page.keyboard.press("3")  # a label: back to the brush... but polygon tool next
    page.keyboard.press("p")
    corners = [screen.point(*p) for p in [(200, 500), (900, 480), (700, 760)]]
    for corner in corners:
        page.mouse.click(*corner)
    page.keyboard.press("Enter")

    stroke = stroke_distance(w, h, screen.original(*a), screen.original(*b))
    erased = stroke_distance(w, h, screen.original(*c), screen.original(*d))
    triangle = inside_polygon(w, h, [screen.original(*p) for p in corners])
    expected = np.where(stroke <= radius, 1, 0)
    expected[erased <= eraser] = 0
    expected[triangle] = 3
    unsure = (np.abs(stroke - radius) < 1e-3) | (np.abs(erased - eraser) < 1e-3)

    result = value(page, TAG)
    assert result["inputImageProperties"] == {"height": 800, "width": 1200}
    assert result["labelMappings"] == {"sky": {"color": COLORS[0]}, "road": {"color": COLORS[2]}}
    got = classes(mask_of(result))
    assert got.shape == (800, 1200)
    assert ((got == expected) | unsure).all()
    assert (got == 3).sum() > 90_000 and (got == 1).sum() > 30_000

    page.keyboard.press("Control+z")
    undone = classes(mask_of(value(page, TAG)))
    assert (undone == 3).sum() == 0 and ((undone == 1) == (got == 1)).all()
    assert value(page, TAG)["labelMappings"] == {"sky": {"color": COLORS[0]}}
    page.keyboard.press("Control+z")  # the eraser stroke
    assert ((classes(mask_of(value(page, TAG))) == 1) | unsure == (stroke <= radius) | unsure).all()
    page.keyboard.press("Control+Shift+z")
    page.keyboard.press("Control+y")
    assert (classes(mask_of(value(page, TAG))) == got).all()


def test_initial_mask_is_loaded_in_our_colours(
    crowd_page: CrowdPage, image_server: ImageServer
) -> None:
    photo = image_server.add_image("seg-photo-600x400.png", street_scene(600, 400))
    # An earlier mask in another tool's colours, on a white background, as Ground Truth writes them.
    earlier = Image.new("RGB", (600, 400), "#ffffff")
    draw = ImageDraw.Draw(earlier)
    draw.rectangle([0, 0, 599, 219], fill="#2acf59")  # building
    draw.rectangle([0, 220, 599, 399], fill="#f28333")  # road
    draw.rectangle([100, 300, 199, 349], fill="#f48538")  # a slightly different road colour
    draw.rectangle([400, 300, 499, 349], fill="#ffffff")  # unlabelled
    mask_url = image_server.add("earlier-mask.png", encode(earlier))
    initial = {
        "labelMappings": {"building": {"color": "#2acf59"}, "road": {"color": "#F28333"}},
        "src": mask_url,
    }
    page, screen = seg_page(crowd_page, photo, initial_value=initial)
    result = value(page, TAG)
    assert result["initialValueModified"] is False
    assert result["labelMappings"] == {
        "building": {"color": COLORS[1]},
        "road": {"color": COLORS[2]},
    }
    expected = np.zeros((400, 600), dtype=int)
    expected[:220] = 2
    expected[220:] = 3
    expected[300:350, 400:500] = 0
    assert (classes(mask_of(result)) == expected).all()

    page.keyboard.press("4")
    drag(page, screen.point(50, 380), screen.point(150, 380))
    assert value(page, TAG)["initialValueModified"] is True
    page.keyboard.press("Control+z")
    assert value(page, TAG)["initialValueModified"] is False


def test_a_missing_initial_mask_blocks_submission(
    crowd_page: CrowdPage, scene_url: str, image_server: ImageServer
) -> None:
    initial = {
        "labelMappings": {"road": {"color": "#2ca02c"}},
        "src": f"{image_server.base}/gone.png",
    }
    page, _ = seg_page(crowd_page, scene_url, initial_value=initial)
    assert "earlier mask could not be loaded" in validate(page, TAG)
    page.locator("crowd-form .footer crowd-button .button").click()
    assert page.evaluate("window.submitted") == []


def test_large_images_are_painted_on_a_capped_grid(
    crowd_page: CrowdPage, image_server: ImageServer
) -> None:
    url = image_server.add_image("seg-5000x4000.png", street_scene(5000, 4000), compress_level=1)
    page, screen = seg_page(crowd_page, url)
    grid = page.evaluate(
        f"(() => {{ const m = document.querySelector('{TAG}').mask; return [m.width, m.height]; }})()"
    )
    assert grid[0] * grid[1] <= 4096 * 4096 and grid[0] < 5000
    page.keyboard.press("3")
    page.keyboard.press("p")
    corners = [screen.point(*p) for p in [(1000, 2000), (4000, 2000), (4000, 3500), (1000, 3500)]]
    for corner in corners:
        page.mouse.click(*corner)
    page.keyboard.press("Enter")
    got = classes(mask_of(value(page, TAG)))
    assert got.shape == (4000, 5000)
    (x0, y0), (x1, y1) = screen.original(*corners[0]), screen.original(*corners[2])
    inside = np.zeros_like(got, dtype=bool)
    inside[round(y0) + 2 : round(y1) - 2, round(x0) + 2 : round(x1) - 2] = True
    outside = np.ones_like(got, dtype=bool)
    outside[round(y0) - 2 : round(y1) + 2, round(x0) - 2 : round(x1) + 2] = False
    assert (got[inside] == 3).all() and (got[outside] == 0).all()


def test_submit_through_crowd_form(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = seg_page(crowd_page, scene_url)
    drag(page, screen.point(100, 100), screen.point(400, 300))
    answer = submit(page)[0]["annotatedResult"]
    assert answer == value(page, TAG)
    assert set(answer) == {"inputImageProperties", "labelMappings", "labeledImage"}
    assert not answer["labeledImage"]["pngImageData"].startswith("data:")


def test_screenshot(crowd_page: CrowdPage, image_server: ImageServer, screenshot_dir: Path) -> None:
    url = image_server.add_image("street-seg-2400x1600.png", street_scene(2400, 1600))
    inner = """<short-instructions><p>Paint every pixel with its class.</p><p>Use the
      <b>polygon fill</b> for large regions and the <b>brush</b> for edges. Leave what fits
      no class unpainted.</p></short-instructions>"""
    page, screen = seg_page(crowd_page, url, inner)
    page.keyboard.press("3")
    page.keyboard.press("p")
    for x, y in [(0, 880), (2400, 880), (2400, 1600), (0, 1600)]:
        screen.click(x, y)
    page.keyboard.press("Enter")
    page.keyboard.press("4")
    car = [(1080, 1200), (1410, 1200), (1416, 1340), (1352, 1420), (1128, 1424), (1080, 1344)]
    for x, y in car:
        screen.click(x, y)
    page.keyboard.press("Enter")
    page.keyboard.press("1")
    page.keyboard.press("b")
    for _ in range(6):
        page.keyboard.press("]")
    for y in range(60, 420, 70):
        screen.drag((0, y), (2400, y), steps=20)
    page.keyboard.press("2")
    page.mouse.move(*screen.point(1500, 600))
    page.wait_for_timeout(100)
    page.screenshot(path=str(screenshot_dir / "crowd-semantic-segmentation.png"))
    assert set(value(page, TAG)["labelMappings"]) == {"sky", "road", "vehicle"}
