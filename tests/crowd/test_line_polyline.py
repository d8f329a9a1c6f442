"""<crowd-line> and <crowd-polyline> in real Chromium: drawing with the mouse, finishing with the
keyboard, editing, initial values, and the exact answers of Ground Truth's element reference."""

from __future__ import annotations

from typing import Any

import pytest
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

LABELS = ["sideline", "yardline"]


@pytest.fixture(scope="module")
def field_url(image_server: ImageServer) -> str:
    return image_server.add_image("field-2048x1254.png", street_scene(2048, 1254))


def tool(crowd_page: CrowdPage, tag: str, src: str, **attrs: Any) -> tuple[Page, Screen]:
    page = open_tool(crowd_page, tag, src=src, labels=LABELS, header="Trace the lines", **attrs)
    return page, Screen(page, tag)


def snapped(screen: Screen, x: float, y: float) -> dict[str, int]:
    """The vertex the tool stores for a click at original point (x, y)."""
    px, py = screen.point(x, y)
    ox, oy = screen.original(px, py)
    return {"x": min(screen.width, max(0, round(ox))), "y": min(screen.height, max(0, round(oy)))}


def test_a_line_drawn_in_one_drag_and_one_by_two_clicks(
    crowd_page: CrowdPage, field_url: str
) -> None:
    page, screen = tool(crowd_page, "crowd-line", field_url, name="crowdLine")
    screen.drag((58, 295), (1342, 398))
    page.keyboard.press("2")  # the label of the next line (nothing is selected)
    screen.click(472, 910)
    assert value(page, "crowd-line")["lines"][1:] == []  # one end placed, waiting for the other
    screen.click(1480, 600)
    answer = submit(page)[-1]["crowdLine"]
    assert answer == {
        "inputImageProperties": {"height": 1254, "width": 2048},
        "lines": [
            {
                "label": "sideline",
                "vertices": [snapped(screen, 58, 295), snapped(screen, 1342, 398)],
            },
            {
                "label": "yardline",
                "vertices": [snapped(screen, 472, 910), snapped(screen, 1480, 600)],
            },
        ],
    }


def test_a_half_drawn_line_blocks_submit_and_escape_discards_it(
    crowd_page: CrowdPage, field_url: str
) -> None:
    page, screen = tool(crowd_page, "crowd-line", field_url)
    screen.click(100, 100)
    assert "Finish the line" in validate(page, "crowd-line")
    page.keyboard.press("Escape")
    assert validate(page, "crowd-line") is None
    assert value(page, "crowd-line")["lines"] == []


def test_dragging_a_selected_line_moves_it(crowd_page: CrowdPage, field_url: str) -> None:
    initial = {
        "lines": [{"label": "yardline", "vertices": [{"x": 651, "y": 498}, {"x": 862, "y": 869}]}]
    }
    page, screen = tool(crowd_page, "crowd-line", field_url, initial_value=initial)
    assert value(page, "crowd-line")["initialValueModified"] is False
    screen.click(756, 683)  # on the line: selects it
    screen.drag((756, 683), (856, 583))
    line = value(page, "crowd-line")
    assert line["initialValueModified"] is True
    (start, end) = line["lines"][0]["vertices"]
    assert abs(start["x"] - 751) <= 2 and abs(start["y"] - 398) <= 2
    assert abs(end["x"] - 962) <= 2 and abs(end["y"] - 769) <= 2
    page.keyboard.press("Delete")
    assert value(page, "crowd-line")["lines"] == []
    page.keyboard.press("Control+z")
    assert len(value(page, "crowd-line")["lines"]) == 1


def test_polyline_clicks_and_enter(crowd_page: CrowdPage, field_url: str) -> None:
    page, screen = tool(crowd_page, "crowd-polyline", field_url, name="crowdPolyline")
    points = [(651, 498), (862, 869), (1449, 611)]
    for point in points:
        screen.click(*point)
    page.keyboard.press("Enter")
    screen.click(1148, 322)
    screen.click(1705, 474)
    screen.click(1705, 474)  # a click on the last vertex finishes too
    answer = submit(page)[-1]["crowdPolyline"]
    assert answer["inputImageProperties"] == {"height": 1254, "width": 2048}
    assert answer["polylines"] == [
        {"label": "sideline", "vertices": [snapped(screen, *p) for p in points]},
        {"label": "sideline", "vertices": [snapped(screen, 1148, 322), snapped(screen, 1705, 474)]},
    ]


def test_polyline_editing_inserts_and_removes_vertices(
    crowd_page: CrowdPage, field_url: str
) -> None:
    initial = {
        "polylines": [
            {"label": "yardline", "vertices": [{"x": 200, "y": 200}, {"x": 1000, "y": 200}]}
        ]
    }
    page, screen = tool(crowd_page, "crowd-polyline", field_url, initial_value=initial)
    screen.click(600, 200)  # select by its segment
    screen.drag((600, 200), (600, 400))  # dragging the segment inserts a vertex
    vertices = value(page, "crowd-polyline")["polylines"][0]["vertices"]
    assert len(vertices) == 3 and abs(vertices[1]["y"] - 400) <= 2
    page.keyboard.down("Alt")
    screen.click(vertices[1]["x"], vertices[1]["y"])
    page.keyboard.up("Alt")
    assert (
        value(page, "crowd-polyline")["polylines"][0]["vertices"]
        == initial["polylines"][0]["vertices"]
    )
    page.keyboard.down("Alt")
    screen.click(200, 200)  # two vertices is the least a polyline keeps
    page.keyboard.up("Alt")
    assert len(value(page, "crowd-polyline")["polylines"][0]["vertices"]) == 2
