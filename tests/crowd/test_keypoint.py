"""<crowd-keypoint> in real Chromium: placing, moving, relabelling and deleting points.

A keypoint is the original pixel under the pointer: x = floor(original x), y = floor(original y).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import Page

from tests.crowd.test_image_viewport_support import (
    CrowdPage,
    ImageServer,
    Screen,
    open_tool,
    serve_images,  # noqa: F401
    street_scene,
    submit,
    value,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

TAG = "crowd-keypoint"
LABELS = ["left headlight", "right headlight", "wheel"]


@pytest.fixture(scope="module")
def scene_url(image_server: ImageServer) -> str:
    return image_server.add_image("street-keypoint-2400x1600.png", street_scene(2400, 1600))


def keypoint_page(
    crowd_page: CrowdPage, src: str, inner: str = "", **attrs: Any
) -> tuple[Page, Screen]:
    page = open_tool(
        crowd_page,
        TAG,
        inner,
        src=src,
        labels=LABELS,
        header="Mark the headlights and wheels",
        **attrs,
    )
    return page, Screen(page, TAG)


def pixel(screen: Screen, at: tuple[int, int]) -> tuple[int, int]:
    x, y = screen.original(*at)
    return math.floor(x), math.floor(y)


def points(page: Page) -> list[dict[str, Any]]:
    return value(page, TAG)["keypoints"]  # type: ignore[no-any-return]


def test_place_move_relabel_delete(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = keypoint_page(crowd_page, scene_url)
    first, second, third = screen.point(470, 1190), screen.point(850, 1190), screen.point(560, 1400)
    page.mouse.click(*first)
    page.keyboard.press("2")
    page.mouse.click(*second)
    page.keyboard.press("3")
    page.mouse.click(*third)
    placed = [pixel(screen, p) for p in (first, second, third)]
    assert value(page, TAG) == {
        "inputImageProperties": {"height": 1600, "width": 2400},
        "keypoints": [
            {"label": "left headlight", "x": placed[0][0], "y": placed[0][1]},
            {"label": "right headlight", "x": placed[1][0], "y": placed[1][1]},
            {"label": "wheel", "x": placed[2][0], "y": placed[2][1]},
        ],
    }

    grab = screen.point(placed[0][0] + 0.5, placed[0][1] + 0.5)
    drop = (grab[0] + 37, grab[1] - 21)
    page.mouse.move(*grab)
    page.mouse.down()
    page.mouse.move(*drop, steps=5)
    page.mouse.up()
    (gx, gy), (dx, dy) = screen.original(*grab), screen.original(*drop)
    moved = {
        "x": math.floor(placed[0][0] + 0.5 + dx - gx),
        "y": math.floor(placed[0][1] + 0.5 + dy - gy),
    }
    assert points(page)[0] == {"label": "left headlight", **moved}

    page.mouse.click(*screen.point(placed[1][0] + 0.5, placed[1][1] + 0.5))  # select
    page.keyboard.press("3")
    page.keyboard.press("ArrowUp")
    assert points(page)[1] == {"label": "wheel", "x": placed[1][0], "y": placed[1][1] - 1}
    page.mouse.click(*screen.point(placed[2][0] + 0.5, placed[2][1] + 0.5))
    page.keyboard.press("Delete")
    assert [p["label"] for p in points(page)] == ["left headlight", "wheel"]
    page.keyboard.press("Control+z")
    assert len(points(page)) == 3


def test_clicks_off_the_image_place_nothing(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = keypoint_page(crowd_page, scene_url)
    page.mouse.click(round(screen.rect["left"]) - 20, round(screen.rect["top"]) + 100)
    assert points(page) == []
    corner = screen.point(2400, 1600)
    inside = (corner[0] - 1, corner[1] - 1)
    page.mouse.click(*inside)
    x, y = pixel(screen, inside)
    assert 2390 < x <= 2399 and 1590 < y <= 1599
    assert points(page) == [{"label": "left headlight", "x": x, "y": y}]


def test_initial_value_and_modified_flag(crowd_page: CrowdPage, scene_url: str) -> None:
    initial = [{"label": "wheel", "x": 500, "y": 1300}, {"label": "mirror", "x": 9000, "y": -4}]
    page, screen = keypoint_page(crowd_page, scene_url, initial_value=initial)
    assert value(page, TAG) == {
        "initialValueModified": False,
        "inputImageProperties": {"height": 1600, "width": 2400},
        "keypoints": [
            {"label": "wheel", "x": 500, "y": 1300},
            {"label": "mirror", "x": 2399, "y": 0},
        ],
    }
    page.mouse.click(*screen.point(500.5, 1300.5))
    page.keyboard.press("Shift+ArrowRight")
    assert points(page)[0]["x"] == 510
    assert value(page, TAG)["initialValueModified"] is True


def test_submit_through_crowd_form(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = keypoint_page(crowd_page, scene_url)
    screen.click(1000, 800)
    assert submit(page) == [{"annotatedResult": value(page, TAG)}]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "label": st.sampled_from(LABELS),
                "x": st.floats(-1e6, 1e6),
                "y": st.integers(-9999, 9999),
            }
        ),
        max_size=5,
    )
)
def test_initial_points_always_end_up_on_the_image(
    crowd_page_blank: Page, initial: list[Any]
) -> None:
    result = crowd_page_blank.evaluate(
        """async (initial) => {
          const { pointsFromInitialValue } = await import('/static/crowd/crowd-keypoint.js');
          return pointsFromInitialValue({ keypoints: initial }, 2400, 1600);
        }""",
        initial,
    )
    assert len(result) == len(initial)
    for point in result:
        assert isinstance(point["x"], int) and 0 <= point["x"] < 2400
        assert isinstance(point["y"], int) and 0 <= point["y"] < 1600


@pytest.fixture
def crowd_page_blank(crowd_page: CrowdPage) -> Page:
    return crowd_page("<p>module tests</p>")


def test_screenshot(crowd_page: CrowdPage, scene_url: str, screenshot_dir: Path) -> None:
    inner = """<short-instructions><p>Click the centre of each headlight, then of each wheel
      hub.</p><p>Drag a point to correct it; <kbd>Del</kbd> removes the selected point.</p>
      </short-instructions>"""
    page, screen = keypoint_page(crowd_page, scene_url, inner)
    for key, (x, y) in [
        ("1", (1092, 1262)),
        ("2", (1404, 1262)),
        ("3", (1184, 1368)),
        ("3", (1296, 1368)),
    ]:
        page.keyboard.press(key)
        screen.click(x, y)
    screen.click(1296, 1368)
    page.mouse.move(*screen.point(1500, 700))
    page.wait_for_timeout(100)
    page.screenshot(path=str(screenshot_dir / "crowd-keypoint.png"))
    assert len(points(page)) == 4
