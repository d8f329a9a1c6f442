"""<crowd-bounding-box> in real Chromium: drawing, editing and the answer in original pixels.

Expected coordinates are computed from the page pixels the mouse really used and the place the
tool reports for the image (`imageRect`); test_image_viewport.py checks that place against
screenshots, so together they pin the answer to what the worker saw.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageOps
from playwright.sync_api import Page

from tests.crowd.test_image_viewport_support import (
    MARKER,
    CrowdPage,
    ImageServer,
    Screen,
    encode,
    marker_on_screen,
    open_tool,
    serve_images,  # noqa: F401
    street_scene,
    submit,
    validate,
    value,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

TAG = "crowd-bounding-box"
LABELS = ["car", "pedestrian", "bicycle", "traffic light"]
INSTRUCTIONS = """
  <short-instructions><p>Draw a tight box around every <b>car</b>, <b>pedestrian</b> and
    <b>bicycle</b>. Include parts hidden behind other objects.</p>
    <p>Pick the label first (keys <kbd>1</kbd>–<kbd>4</kbd>), then drag on the image.</p>
  </short-instructions>
  <full-instructions header="Vehicle boxes"><p>Boxes touch the outermost visible pixels.</p>
  </full-instructions>"""


@pytest.fixture(scope="module")
def scene_url(image_server: ImageServer) -> str:
    return image_server.add_image("street-3000x2000.png", street_scene(3000, 2000))


def box_page(crowd_page: CrowdPage, src: str, inner: str = "", **attrs: Any) -> tuple[Page, Screen]:
    page = open_tool(
        crowd_page,
        TAG,
        inner,
        src=src,
        labels=LABELS,
        header="Draw a box around every vehicle",
        **attrs,
    )
    return page, Screen(page, TAG)


def expected_box(
    screen: Screen, a: tuple[int, int], b: tuple[int, int], label: str
) -> dict[str, Any]:
    """The box the tool must report for a drag between two page points."""
    (x0, y0), (x1, y1) = screen.original(*a), screen.original(*b)
    left, top = max(0, round(min(x0, x1))), max(0, round(min(y0, y1)))
    right = min(screen.width, round(max(x0, x1)))
    bottom = min(screen.height, round(max(y0, y1)))
    return {"height": bottom - top, "label": label, "left": left, "top": top, "width": right - left}


def drag_pages(page: Page, a: tuple[int, int], b: tuple[int, int]) -> None:
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move(*b, steps=6)
    page.mouse.up()


def boxes(page: Page) -> list[dict[str, Any]]:
    return value(page, TAG)["boundingBoxes"]  # type: ignore[no-any-return]


def test_draw_boxes_in_original_pixels(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = box_page(crowd_page, scene_url)
    assert 0.2 < screen.scale < 0.4  # 3000 px shown about 900 px wide
    a, b = screen.point(400, 300), screen.point(1200, 900)
    screen.drag((400, 300), (1200, 900))
    page.keyboard.press("2")
    c, d = screen.point(2500, 1900), screen.point(1800, 1400)
    screen.drag((2500, 1900), (1800, 1400))
    assert value(page, TAG) == {
        "boundingBoxes": [
            expected_box(screen, a, b, "car"),
            expected_box(screen, c, d, "pedestrian"),
        ],
        "inputImageProperties": {"height": 2000, "width": 3000},
    }
    assert validate(page, TAG) is None


def test_move_resize_relabel_delete_undo(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = box_page(crowd_page, scene_url)
    screen.drag((300, 300), (900, 800))
    screen.drag((1500, 400), (2100, 1000))
    first = boxes(page)[0]

    screen.click(600, 550)  # select, then drag the selected box
    start, end = screen.point(600, 550), screen.point(900, 700)
    drag_pages(page, start, end)
    (sx, sy), (ex, ey) = screen.original(*start), screen.original(*end)
    moved = {**first, "left": first["left"] + round(ex - sx), "top": first["top"] + round(ey - sy)}
    assert boxes(page)[0] == moved

    corner = screen.point(moved["left"] + moved["width"], moved["top"] + moved["height"])
    target = screen.point(1400, 1500)
    drag_pages(page, corner, target)  # the south-east handle
    right, bottom = (round(v) for v in screen.original(*target))
    resized = {**moved, "width": right - moved["left"], "height": bottom - moved["top"]}
    assert boxes(page)[0] == resized

    page.keyboard.press("3")  # relabel the selected box
    assert boxes(page)[0] == {**resized, "label": "bicycle"}

    screen.click(1800, 700)
    page.keyboard.press("Delete")
    assert boxes(page) == [{**resized, "label": "bicycle"}]
    page.keyboard.press("Control+z")
    assert len(boxes(page)) == 2
    page.keyboard.press("Control+Shift+z")
    assert boxes(page) == [{**resized, "label": "bicycle"}]
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    assert boxes(page)[0]["label"] == "car"
    page.keyboard.press("Control+y")
    assert boxes(page)[0]["label"] == "bicycle"


def test_keyboard_selection_and_nudges(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = box_page(crowd_page, scene_url)
    screen.drag((0, 0), (500, 400))
    screen.drag((1000, 1000), (1500, 1500))
    before = boxes(page)
    page.keyboard.press("Tab")  # selects the first box
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Backspace")
    first = {**before[0], "left": before[0]["left"] + 3, "top": before[0]["top"] + 10}
    assert boxes(page) == [first]
    page.keyboard.press("Tab")
    for _ in range(20):
        page.keyboard.press("Shift+ArrowLeft")  # stops at the image border
    assert boxes(page) == [{**first, "left": 0}]
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowRight")  # nothing selected: pans the view instead
    assert boxes(page) == [{**first, "left": 0}]
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the last box: nothing selected, the focus moves on
    assert page.evaluate(f"document.querySelector('{TAG}').selected") == -1
    page.keyboard.press("Delete")
    assert len(boxes(page)) == 1


def test_boxes_are_clipped_and_tiny_drags_ignored(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = box_page(crowd_page, scene_url)
    outside_a = (round(screen.rect["left"]) - 30, round(screen.rect["top"]) + 40)
    outside_b = screen.point(3300, 2300)
    drag_pages(page, outside_a, outside_b)
    x, y = screen.point(1500, 1000)
    drag_pages(page, (x, y), (x + 1, y + 1))  # an accidental click-drag
    page.mouse.click(x + 50, y + 50)
    top = round(screen.original(*outside_a)[1])
    assert boxes(page) == [
        {"height": 2000 - top, "label": "car", "left": 0, "top": top, "width": 3000}
    ]


def test_boxes_map_to_original_pixels_after_zooming_and_panning(
    crowd_page: CrowdPage, scene_url: str
) -> None:
    page, screen = box_page(crowd_page, scene_url)
    cursor = screen.point(1000, 700)
    page.mouse.move(*cursor)
    under_cursor = screen.original(*cursor)
    page.mouse.wheel(0, -300)
    for key in ["+", "=", "+"]:
        page.keyboard.press(key)
    screen.refresh()
    assert screen.scale > 0.9
    # Zooming keeps the image point under the cursor where it was.
    assert screen.original(*cursor) == pytest.approx(under_cursor, abs=0.01)

    page.keyboard.down(" ")
    drag_pages(page, cursor, (cursor[0] - 200, cursor[1] - 100))
    page.keyboard.up(" ")
    screen.refresh()
    assert screen.original(*cursor) == pytest.approx(
        (under_cursor[0] + 200 / screen.scale, under_cursor[1] + 100 / screen.scale), abs=0.01
    )
    a, b = (cursor[0] - 150, cursor[1] - 90), (cursor[0] + 170, cursor[1] + 60)
    drag_pages(page, a, b)
    zoomed = expected_box(screen, a, b, "car")

    page.keyboard.press("f")
    screen.refresh()
    assert screen.scale < 0.4
    c, d = screen.point(2000, 1500), screen.point(2600, 1900)
    drag_pages(page, c, d)
    assert boxes(page) == [zoomed, expected_box(screen, c, d, "car")]
    assert zoomed["width"] < 400  # 320 page pixels at more than 0.9 page pixels per original one


def test_exif_rotated_jpeg_uses_the_displayed_frame(
    crowd_page: CrowdPage, image_server: ImageServer
) -> None:
    stored = Image.new("RGB", (600, 400), "#607d8b")
    ImageDraw.Draw(stored).rectangle([60, 280, 179, 379], fill=MARKER)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    jpeg = encode(stored, "JPEG", exif=exif.tobytes(), quality=95)
    displayed = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(jpeg))).convert("RGB"))
    assert displayed.shape == (600, 400, 3)
    ys, xs = np.nonzero((np.abs(displayed.astype(int) - np.array(MARKER)) < 60).all(axis=2))
    marker = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)  # in the displayed frame

    url = image_server.add("rotated.jpg", jpeg, "image/jpeg")
    page, screen = box_page(crowd_page, url)
    assert value(page, TAG)["inputImageProperties"] == {"height": 600, "width": 400}
    page.mouse.move(5, 5)
    page.wait_for_timeout(100)
    seen = marker_on_screen(page)
    drawn_at = (*screen.point(marker[0], marker[1]), *screen.point(marker[2], marker[3]))
    assert all(abs(s - e) <= 2 for s, e in zip(seen, drawn_at, strict=True)), (seen, drawn_at)

    screen.drag((marker[0], marker[1]), (marker[2], marker[3]))
    box = boxes(page)[0]
    assert abs(box["left"] - marker[0]) <= 1 and abs(box["top"] - marker[1]) <= 1
    assert abs(box["width"] - (marker[2] - marker[0])) <= 2


def test_initial_value_and_modified_flag(crowd_page: CrowdPage, scene_url: str) -> None:
    initial = [
        {"label": "car", "left": 100, "top": 120, "width": 400, "height": 300},
        {"label": "truck", "left": 2900.4, "top": 1900, "width": 300, "height": 300},
        {"label": "car", "left": "x", "top": 0, "width": 10, "height": 10},
    ]
    page, screen = box_page(crowd_page, scene_url, initial_value=initial)
    clipped = {"height": 100, "label": "truck", "left": 2900, "top": 1900, "width": 100}
    assert value(page, TAG) == {
        "boundingBoxes": [
            {"height": 300, "label": "car", "left": 100, "top": 120, "width": 400},
            clipped,
        ],
        "initialValueModified": False,
        "inputImageProperties": {"height": 2000, "width": 3000},
    }
    labels = page.locator(f"{TAG} .label .name").all_inner_texts()
    assert labels == [*LABELS, "truck"]  # a label only found in the initial value is offered
    screen.click(300, 250)
    page.keyboard.press("ArrowRight")
    assert value(page, TAG)["initialValueModified"] is True
    page.keyboard.press("Control+z")
    assert value(page, TAG)["initialValueModified"] is False
    screen.drag((1000, 1000), (1400, 1300))
    page.evaluate(f"document.querySelector('{TAG}').crowdReset()")  # crowd-form's reset
    assert value(page, TAG)["boundingBoxes"] == [
        {"height": 300, "label": "car", "left": 100, "top": 120, "width": 400},
        clipped,
    ]


def test_submit_through_crowd_form(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = box_page(crowd_page, scene_url)
    assert submit(page) == [
        {
            "annotatedResult": {
                "boundingBoxes": [],
                "inputImageProperties": {"height": 2000, "width": 3000},
            }
        }
    ]
    screen.drag((100, 100), (700, 500))
    answers = submit(page)
    assert answers[1] == {"annotatedResult": value(page, TAG)}
    assert answers[1]["annotatedResult"]["boundingBoxes"][0]["label"] == "car"
    json.dumps(answers)


def test_an_image_that_cannot_load_blocks_submission(
    crowd_page: CrowdPage, image_server: ImageServer
) -> None:
    page = open_tool(crowd_page, TAG, src=f"{image_server.base}/missing.png", labels=LABELS)
    assert "could not be loaded" in validate(page, TAG)
    assert value(page, TAG) is None
    page.locator("crowd-form .footer crowd-button .button").click()
    assert page.evaluate("window.submitted") == []
    assert "could not be loaded" in page.locator(f"{TAG} .message").inner_text()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "label": st.sampled_from(LABELS),
                "left": st.floats(-5000, 5000) | st.integers(-5, 3005),
                "top": st.floats(-5000, 5000) | st.integers(-5, 2005),
                "width": st.floats(-100, 5000) | st.integers(0, 50),
                "height": st.floats(-100, 5000) | st.integers(0, 50),
            }
        ),
        max_size=6,
    )
)
def test_initial_boxes_always_end_up_inside_the_image(
    crowd_page_module: Page, initial: list[dict[str, Any]]
) -> None:
    result = crowd_page_module.evaluate(
        """async (initial) => {
          const { boxesFromInitialValue } = await import('/static/crowd/crowd-bounding-box.js');
          return boxesFromInitialValue(initial, 3000, 2000);
        }""",
        initial,
    )
    for box in result:
        assert all(isinstance(box[k], int) for k in ("left", "top", "width", "height"))
        assert box["width"] > 0 and box["height"] > 0
        assert box["left"] >= 0 and box["top"] >= 0
        assert box["left"] + box["width"] <= 3000 and box["top"] + box["height"] <= 2000


@pytest.fixture
def crowd_page_module(crowd_page: CrowdPage) -> Page:
    return crowd_page("<p>module tests</p>")


def test_screenshot(crowd_page: CrowdPage, scene_url: str, screenshot_dir: Path) -> None:
    page, screen = box_page(crowd_page, scene_url, INSTRUCTIONS)
    for a, b in [
        ((444, 1316), (876, 1596)),
        ((1340, 1476), (1772, 1756)),
        ((2244, 1316), (2676, 1596)),
    ]:
        screen.drag(a, b)
    page.keyboard.press("2")
    screen.drag((1748, 996), (1852, 1356))
    screen.drag((2732, 996), (2836, 1356))
    screen.click(1550, 1700)  # select the middle car
    page.mouse.move(*screen.point(1100, 800))
    page.wait_for_timeout(100)
    page.screenshot(path=str(screenshot_dir / "crowd-bounding-box.png"))
    assert sorted(box["label"] for box in boxes(page)) == ["car"] * 3 + ["pedestrian"] * 2
