"""The DICOM viewer in Chromium, through the real portal: a mammogram in an image
classification job and in a bounding-box job. The pixels the tool paints are checked against
the window Python computes (truthset.dicom.windowing) for the file's presets, after
invert, after a right-drag and Ctrl+arrow change of the window, frame by frame, and zoomed in
(a full-resolution crop replaces the display copy). No patient tag reaches the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import FrameLocator, Page, expect

from tests.browser.conftest import Live
from tests.browser.test_image_tools import (
    FrameScreen,
    create,
    finish,
    near,
    open_work,
    stored_answers,
)
from tests.support.factories import make_team, write_manifest
from truthset.dicom import pixels, windowing
from truthset.dicom.renditions import DISPLAY_SIDE, display_reduce
from truthset.dicom.synthetic import write_mammogram

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

CANVAS = """(el, [sel, x, y, w, h]) => {
  const canvas = el.shadowRoot.querySelector(sel);
  const data = canvas.getContext("2d").getImageData(x, y, w, h).data;
  const grey = [];
  for (let i = 0; i < data.length; i += 4) grey.push(data[i]);
  return grey;
}"""


def mammogram_manifest(live: Live, name: str, **kwargs: Any) -> tuple[Path, Path]:
    root = live.dep.settings.data_dir.resolve()
    path = write_mammogram(root / f"{name}-dicom" / "mammo.dcm", seed=4, **kwargs)
    return path, write_manifest(root / f"{name}.manifest", [{"source-ref": str(path)}])


def expected_grey(path: Path, frame: int, preset: int | None, invert: bool = False) -> np.ndarray:
    """The display copy of the frame under a preset of the file (None: the auto window)."""
    ds = pixels.read_dataset(path.read_bytes())
    info = pixels.describe(ds, 10**8)
    raw = pixels.raw_frame(ds, info, frame)
    factor = max(1, -(-max(info.width, info.height) // DISPLAY_SIDE))
    display = display_reduce(raw, factor)
    window = info.windows[preset] if preset is not None else windowing.auto_window(display, info)
    return windowing.to_grey8(display, windowing.window_table(info, window, invert=invert))


def painted(tool: Any, region: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = region
    grey = tool.evaluate(CANVAS, ["canvas.image", x, y, w, h])
    return np.array(grey, dtype=np.uint8).reshape(h, w)


def assert_painted(tool: Any, expected: np.ndarray, region: tuple[int, int, int, int]) -> None:
    x, y, w, h = region
    diff = np.abs(painted(tool, region).astype(int) - expected[y : y + h, x : x + w].astype(int))
    assert diff.max() <= 1, f"painted pixels differ from the window by up to {diff.max()}"


def window_text(frame: FrameLocator) -> str:
    return frame.locator(".dicom-wl").inner_text()


def test_classifier_windows_zooms_and_pages_frames(page: Page, live: Live, shots: Path) -> None:
    (worker,) = make_team(live.dep, workers=1)
    path, manifest = mammogram_manifest(live, "views", width=2400, height=3200, frames=2)
    create(live, "views", manifest, "image-classification", workers_per_object=1)
    frame = open_work(page, live, worker, "views")
    tool = frame.locator("crowd-image-classifier")
    expect(frame.locator(".dicom-bar")).to_be_visible()
    expect(frame.locator(".dicom-preset")).to_have_value("0")
    assert window_text(frame) == "W 1800 / L 2600"
    expect(frame.locator(".dicom-frame")).to_have_text("Frame 1 / 2")
    region = (100, 200, 300, 400)
    assert_painted(tool, expected_grey(path, 0, 0), region)
    page.screenshot(path=str(shots / "dicom-classifier.png"))

    page.keyboard.press("v")  # the file's second preset, WIDE
    expect(frame.locator(".dicom-preset")).to_have_value("1")
    assert_painted(tool, expected_grey(path, 0, 1), region)
    page.keyboard.press("i")
    expect(frame.locator(".dicom-invert")).to_have_attribute("aria-pressed", "true")
    assert_painted(tool, expected_grey(path, 0, 1, invert=True), region)
    page.keyboard.press("r")
    assert window_text(frame) == "W 1800 / L 2600"
    assert_painted(tool, expected_grey(path, 0, 0), region)

    # Right-drag: 40 px right widens the window, 20 px down raises the level.
    box = tool.locator("canvas.image").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down(button="right")
    page.mouse.move(cx + 40, cy + 20, steps=4)
    page.mouse.up(button="right")
    step = 1800 / 256
    assert window_text(frame) == f"W {round(1800 + 40 * step)} / L {round(2600 + 20 * step)}"
    page.keyboard.press("Control+ArrowLeft")
    assert window_text(frame) == f"W {round(1800 + 32 * step)} / L {round(2600 + 20 * step)}"
    page.keyboard.press("r")

    page.keyboard.press("PageDown")
    expect(frame.locator(".dicom-frame")).to_have_text("Frame 2 / 2")
    assert_painted(tool, expected_grey(path, 1, 0), region)

    # Zoomed in past the display copy, a full-resolution crop of the view is shown.
    for _ in range(12):
        page.mouse.move(cx, cy)
        page.mouse.wheel(0, -240)
    detail = tool.locator("canvas.dicom-detail")
    expect(detail).to_be_attached(timeout=10_000)
    size = detail.evaluate("c => [c.width, c.height]")
    shown = detail.bounding_box()
    whole = tool.locator(".frame").bounding_box()
    assert shown is not None and whole is not None
    # One crop pixel per original pixel (the display copy has one per 2 x 2).
    assert abs(size[0] - shown["width"] * 2400 / whole["width"]) <= 2
    page.screenshot(path=str(shots / "dicom-classifier-zoomed.png"))
    page.keyboard.press("r")
    expect(detail).not_to_be_attached()

    for text in ("Doe", "MRN-0042", "19610315", "Saint Example"):
        assert text not in page.content() and text not in tool.evaluate(
            "el => el.shadowRoot.innerHTML"
        )
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    finish(page)
    (stored,) = stored_answers(live, "views")
    assert stored == {"crowd-image-classifier": {"label": "car"}}


def test_bounding_box_on_a_mammogram_keeps_original_pixels(page: Page, live: Live) -> None:
    (worker,) = make_team(live.dep, workers=1)
    _path, manifest = mammogram_manifest(live, "lesions", width=3000, height=4000)
    create(live, "lesions", manifest, "bounding-box", workers_per_object=1)
    frame = open_work(page, live, worker, "lesions")
    screen = FrameScreen(page, frame, "crowd-bounding-box")
    tool = frame.locator("crowd-bounding-box")
    assert tool.evaluate("el => [el.photo.width, el.photo.height]") == [3000, 4000]
    expect(frame.locator(".dicom-bar")).to_be_visible()
    before = tool.evaluate(
        "el => el.photo.display.getContext('2d').getImageData(700, 900, 1, 1).data[0]"
    )
    page.keyboard.press("i")
    after = tool.evaluate(
        "el => el.photo.display.getContext('2d').getImageData(700, 900, 1, 1).data[0]"
    )
    assert near(after, 255 - before, 1)
    page.keyboard.press("i")
    # A right-drag sets the window and draws nothing.
    x, y = screen.point(1500, 2000)
    page.mouse.move(x, y)
    page.mouse.down(button="right")
    page.mouse.move(x + 30, y, steps=3)
    page.mouse.up(button="right")
    assert window_text(frame).startswith("W 20")
    assert tool.evaluate("el => el.boxes.length") == 0
    screen.drag((600, 800), (1400, 2000))
    page.keyboard.press("Enter")
    finish(page)
    (stored,) = stored_answers(live, "lesions")
    (box,) = stored["boundingBox"]["boundingBoxes"]
    assert stored["boundingBox"]["inputImageProperties"] == {"width": 3000, "height": 4000}
    assert near(box["left"], 600, screen.slack) and near(box["top"], 800, screen.slack)
    assert near(box["width"], 800, 2 * screen.slack) and near(box["height"], 1200, 2 * screen.slack)
