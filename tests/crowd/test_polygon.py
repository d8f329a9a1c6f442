"""<crowd-polygon> in real Chromium: drawing, reshaping, moving and deleting polygons.

Vertices are whole original pixels: round(original coordinate), clipped to 0..width, 0..height.
"""

from __future__ import annotations

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
    validate,
    value,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

TAG = "crowd-polygon"
LABELS = ["building", "road", "vehicle"]
Point = tuple[int, int]


@pytest.fixture(scope="module")
def scene_url(image_server: ImageServer) -> str:
    return image_server.add_image("street-polygon-2400x1600.png", street_scene(2400, 1600))


def polygon_page(
    crowd_page: CrowdPage, src: str, inner: str = "", **attrs: Any
) -> tuple[Page, Screen]:
    page = open_tool(
        crowd_page,
        TAG,
        inner,
        src=src,
        labels=LABELS,
        header="Outline buildings, road and vehicles",
        **attrs,
    )
    return page, Screen(page, TAG)


def vertex(screen: Screen, at: Point) -> dict[str, int]:
    x, y = screen.original(*at)
    return {"x": min(screen.width, max(0, round(x))), "y": min(screen.height, max(0, round(y)))}


def click_all(page: Page, points: list[Point]) -> None:
    for point in points:
        page.mouse.click(*point)


def drag(page: Page, a: Point, b: Point) -> None:
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move(*b, steps=5)
    page.mouse.up()


def polygons(page: Page) -> list[dict[str, Any]]:
    return value(page, TAG)["polygons"]  # type: ignore[no-any-return]


def midpoint(a: Point, b: Point) -> Point:
    return (round((a[0] + b[0]) / 2), round((a[1] + b[1]) / 2))


def test_draw_close_and_cancel(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = polygon_page(crowd_page, scene_url)
    road = [screen.point(*p) for p in [(-50, 880), (2450, 880), (2400, 1600), (0, 1630)]]
    page.keyboard.press("2")
    click_all(page, [*road, road[0]])  # closed by clicking the first vertex again
    car = [screen.point(*p) for p in [(1080, 1190), (1420, 1190), (1430, 1340), (1090, 1400)]]
    page.keyboard.press("3")
    click_all(page, car)  # inside the road polygon: starts a new polygon
    page.keyboard.press("Enter")
    click_all(page, [screen.point(100, 100), screen.point(300, 100)])
    page.keyboard.press("Escape")
    assert page.evaluate("window.submitted") == []  # Enter closed polygons, it did not submit
    assert value(page, TAG) == {
        "inputImageProperties": {"height": 1600, "width": 2400},
        "polygons": [
            {"label": "road", "vertices": [vertex(screen, p) for p in road]},
            {"label": "vehicle", "vertices": [vertex(screen, p) for p in car]},
        ],
    }
    assert polygons(page)[0]["vertices"][0]["x"] == 0  # clipped to the image


def test_reshape_move_relabel_delete(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = polygon_page(crowd_page, scene_url)
    corners = [screen.point(*p) for p in [(600, 300), (1200, 300), (1200, 800), (600, 800)]]
    click_all(page, corners)
    page.keyboard.press("Enter")
    other = [screen.point(*p) for p in [(1500, 200), (1900, 200), (1700, 600)]]
    click_all(page, other)
    page.keyboard.press("Enter")

    page.mouse.click(*midpoint(corners[0], corners[3]))  # on the outline: selects
    drop = screen.point(650, 250)
    drag(page, corners[0], drop)  # a vertex
    new_vertex = screen.point(900, 950)
    drag(page, midpoint(corners[2], corners[3]), new_vertex)  # an edge: inserts a vertex
    expected = [vertex(screen, p) for p in [drop, corners[1], corners[2], new_vertex, corners[3]]]
    assert polygons(page)[0]["vertices"] == expected

    page.keyboard.down("Alt")
    page.mouse.click(*corners[1])  # Alt+click removes a vertex
    page.keyboard.up("Alt")
    del expected[1]
    assert polygons(page)[0]["vertices"] == expected

    start, end = screen.point(800, 600), screen.point(950, 500)
    drag(page, start, end)  # inside the selected polygon: moves it
    (sx, sy), (ex, ey) = screen.original(*start), screen.original(*end)
    dx, dy = round(ex - sx), round(ey - sy)
    moved = [{"x": v["x"] + dx, "y": v["y"] + dy} for v in expected]
    page.keyboard.press("2")
    assert polygons(page)[0] == {"label": "road", "vertices": moved}

    page.keyboard.press("Tab")  # the next polygon
    page.keyboard.press("Delete")
    assert len(polygons(page)) == 1
    page.keyboard.press("Control+z")
    assert len(polygons(page)) == 2
    page.keyboard.press("Control+z")
    assert polygons(page)[0]["label"] == "building"


def test_an_unfinished_polygon_blocks_submission(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = polygon_page(crowd_page, scene_url)
    click_all(page, [screen.point(100, 100), screen.point(500, 100)])
    page.keyboard.press("Enter")  # two vertices cannot close a polygon
    assert polygons(page) == []
    assert "Finish the polygon" in validate(page, TAG)
    page.locator("crowd-form .footer crowd-button .button").click()
    assert page.evaluate("window.submitted") == []
    page.keyboard.press("Backspace")
    page.keyboard.press("Control+z")  # undo removes draft vertices too
    assert validate(page, TAG) is None
    assert submit(page) == [{"annotatedResult": value(page, TAG)}]


def test_initial_value_and_modified_flag(crowd_page: CrowdPage, scene_url: str) -> None:
    initial = {
        "polygons": [
            {
                "label": "road",
                "vertices": [{"x": 0, "y": 880}, {"x": 2400, "y": 880}, {"x": 2600, "y": 1700}],
            },
            {"label": "sign", "vertices": [{"x": 10, "y": 10}, {"x": 20, "y": 10}]},
        ]
    }
    page, _ = polygon_page(crowd_page, scene_url, initial_value=initial)
    assert value(page, TAG) == {
        "initialValueModified": False,
        "inputImageProperties": {"height": 1600, "width": 2400},
        "polygons": [
            {
                "label": "road",
                "vertices": [{"x": 0, "y": 880}, {"x": 2400, "y": 880}, {"x": 2400, "y": 1600}],
            }
        ],
    }
    page.locator(f"{TAG} .stage").focus()  # Tab walks through the polygons on a focused stage
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowUp")
    assert value(page, TAG)["initialValueModified"] is True


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "label": st.sampled_from(LABELS),
                "vertices": st.lists(
                    st.fixed_dictionaries(
                        {"x": st.floats(-1e5, 1e5), "y": st.integers(-3000, 3000)}
                    ),
                    max_size=7,
                ),
            }
        ),
        max_size=4,
    )
)
def test_initial_polygons_always_end_up_inside_the_image(
    crowd_page_blank: Page, initial: list[Any]
) -> None:
    result = crowd_page_blank.evaluate(
        """async (initial) => {
          const { polygonsFromInitialValue } = await import('/static/crowd/crowd-polygon.js');
          return polygonsFromInitialValue(initial, 2400, 1600);
        }""",
        initial,
    )
    assert len(result) == sum(1 for p in initial if len(p["vertices"]) >= 3)
    for polygon in result:
        for v in polygon["vertices"]:
            assert isinstance(v["x"], int) and 0 <= v["x"] <= 2400
            assert isinstance(v["y"], int) and 0 <= v["y"] <= 1600


@pytest.fixture
def crowd_page_blank(crowd_page: CrowdPage) -> Page:
    return crowd_page("<p>module tests</p>")


def test_screenshot(crowd_page: CrowdPage, scene_url: str, screenshot_dir: Path) -> None:
    inner = """<short-instructions><p>Outline each region by clicking along its border.</p>
      <p>Close a polygon by clicking its first point or pressing <kbd>Enter</kbd>.</p>
      </short-instructions>"""
    page, screen = polygon_page(crowd_page, scene_url, inner)
    page.keyboard.press("2")
    click_all(page, [screen.point(*p) for p in [(0, 880), (2400, 880), (2400, 1600), (0, 1600)]])
    page.keyboard.press("Enter")
    page.keyboard.press("3")
    car = [(1080, 1200), (1410, 1200), (1416, 1340), (1352, 1420), (1128, 1424), (1080, 1344)]
    click_all(page, [screen.point(*p) for p in car])
    page.keyboard.press("Enter")
    page.keyboard.press("1")
    click_all(page, [screen.point(*p) for p in [(0, 380), (300, 380), (300, 880)]])
    page.mouse.move(*screen.point(60, 860))
    page.wait_for_timeout(100)
    page.screenshot(path=str(screenshot_dir / "crowd-polygon.png"))
    assert len(polygons(page)) == 2
