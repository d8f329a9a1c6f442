"""The image stage shared by the image tools (image-viewport.js, image-annotator.js).

Where the tool says the image is (`imageRect`) is checked against where Chromium really drew a
red marker of the photo, in screenshots, at several zooms and pans; the other image-tool tests
rely on that mapping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
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
    value,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

TAG = "crowd-bounding-box"
LABELS = ["car", "pedestrian"]
MARKED = (1800, 400, 2100, 600)  # the red marker in the 3000x2000 scene


@pytest.fixture(scope="module")
def marked_url(image_server: ImageServer) -> str:
    return image_server.add_image("marked-3000x2000.png", street_scene(3000, 2000, marker=MARKED))


@pytest.fixture(scope="module")
def huge_url(image_server: ImageServer) -> str:
    """A 10000 x 10000 (100 megapixel) palette PNG with a red marker at 6000..7000, 2000..2600."""
    image = Image.new("P", (10000, 10000), 0)
    image.putpalette([40, 44, 52, *MARKER, 90, 120, 160, 200, 200, 200])
    draw = ImageDraw.Draw(image)
    for i in range(20):
        draw.rectangle([i * 500, i * 400, i * 500 + 800, i * 400 + 300], fill=2 + i % 2)
    draw.rectangle([6000, 2000, 6999, 2599], fill=1)
    return image_server.add("huge-10000x10000.png", encode(image, compress_level=1))


def assert_marker_where_mapped(
    page: Page, screen: Screen, marker: tuple[int, int, int, int]
) -> None:
    page.mouse.move(2, 2)  # no crosshair over the marker
    page.wait_for_timeout(120)
    seen = marker_on_screen(page)
    screen.refresh()
    (left, top), (right, bottom) = screen.point(*marker[:2]), screen.point(*marker[2:])
    stage = screen.stage  # only the part on the stage is visible
    mapped = (
        max(left, round(stage["left"])),
        max(top, round(stage["top"])),
        min(right, round(stage["right"])),
        min(bottom, round(stage["bottom"])),
    )
    assert all(abs(s - m) <= 2 for s, m in zip(seen, mapped, strict=True)), (seen, mapped)


def tool_state(page: Page, expression: str) -> Any:
    return page.evaluate(
        f"(() => {{ const el = document.querySelector('{TAG}'); return {expression}; }})()"
    )


def test_the_image_is_drawn_where_the_mapping_says(crowd_page: CrowdPage, marked_url: str) -> None:
    page = open_tool(crowd_page, TAG, src=marked_url, labels=LABELS)
    screen = Screen(page, TAG)
    assert_marker_where_mapped(page, screen, MARKED)

    page.mouse.move(*screen.point(1950, 500))
    page.mouse.wheel(0, -400)
    assert_marker_where_mapped(page, screen, MARKED)
    assert screen.scale > 0.45  # from about 0.27

    centre = screen.point(1500, 1000)
    page.mouse.move(*centre)
    page.mouse.down(button="middle")
    page.mouse.move(centre[0] - 120, centre[1] + 40, steps=4)
    page.mouse.up(button="middle")
    assert_marker_where_mapped(page, screen, MARKED)

    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Shift+ArrowUp")
    page.keyboard.press("-")
    assert_marker_where_mapped(page, screen, MARKED)
    assert value(page, TAG)["boundingBoxes"] == []  # none of this drew anything

    page.keyboard.press("f")
    assert_marker_where_mapped(page, screen, MARKED)
    fit_scale = screen.scale
    for _ in range(20):
        page.keyboard.press("-")
    screen.refresh()
    assert screen.scale == pytest.approx(fit_scale / 4, rel=0.01)  # zooming out stops at 1/4 of fit


def test_a_100_megapixel_image_loads_and_maps(crowd_page: CrowdPage, huge_url: str) -> None:
    page = open_tool(crowd_page, TAG, src=huge_url, labels=LABELS)
    screen = Screen(page, TAG)
    assert value(page, TAG)["inputImageProperties"] == {"height": 10000, "width": 10000}
    assert tool_state(page, "[el.photo.display.width, el.photo.display.height]") == [4096, 4096]
    marker = (6000, 2000, 7000, 2600)
    assert_marker_where_mapped(page, screen, marker)

    a, b = screen.point(6000, 2000), screen.point(7000, 2600)
    screen.drag((6000, 2000), (7000, 2600))
    (x0, y0), (x1, y1) = screen.original(*a), screen.original(*b)
    assert value(page, TAG)["boundingBoxes"] == [
        {
            "height": round(y1) - round(y0),
            "label": "car",
            "left": round(x0),
            "top": round(y0),
            "width": round(x1) - round(x0),
        }
    ]

    # Zoomed past the display copy, a sharper crop of the original is cut for the visible area.
    page.mouse.move(*screen.point(6000, 2000))
    for _ in range(4):
        page.mouse.wheel(0, -300)
    page.wait_for_function(f"document.querySelector('{TAG}').viewport.detail !== null")
    screen.refresh()
    assert screen.scale > 0.5
    page.keyboard.press("h")  # hide the box, leave the photo
    assert_marker_where_mapped(page, screen, marker)


def test_a_large_exif_rotated_photo_is_downscaled_in_its_displayed_frame(
    crowd_page: CrowdPage, image_server: ImageServer
) -> None:
    stored = street_scene(6000, 4000)
    ImageDraw.Draw(stored).rectangle([4000, 600, 4899, 1199], fill=MARKER)
    exif = Image.Exif()
    exif[0x0112] = 6  # displayed rotated 90 degrees clockwise: 4000 x 6000
    url = image_server.add(
        "rotated-6000x4000.jpg",
        encode(stored, "JPEG", exif=exif.tobytes(), quality=92),
        "image/jpeg",
    )
    page = open_tool(crowd_page, TAG, src=url, labels=LABELS)
    assert value(page, TAG)["inputImageProperties"] == {"height": 6000, "width": 4000}
    assert tool_state(
        page, "[el.photo.decoder !== null, el.photo.display.width, el.photo.display.height]"
    ) == [
        True,
        2731,
        4096,
    ]
    # Stored (x, y) is displayed at (3999 - y, x): the marker lands at 2800..3400, 4000..4900.
    assert_marker_where_mapped(page, Screen(page, TAG), (2800, 4000, 3400, 4900))


def test_photos_without_cors_headers_work(crowd_page: CrowdPage, image_server: ImageServer) -> None:
    url = image_server.add_image("no-cors.png", street_scene(800, 600), cors=False)
    page = open_tool(crowd_page, "crowd-semantic-segmentation", src=url, labels=LABELS)
    # No worker without the bytes: the photo comes from the <img>, and is never read back.
    assert (
        page.evaluate("document.querySelector('crowd-semantic-segmentation').photo.decoder") is None
    )
    screen = Screen(page, "crowd-semantic-segmentation")
    screen.drag((100, 100), (700, 100))
    result = value(page, "crowd-semantic-segmentation")
    assert result["labelMappings"] == {"car": {"color": "#1f77b4"}}
    assert result["inputImageProperties"] == {"height": 600, "width": 800}


def test_keys_go_to_the_tool_used_last(crowd_page: CrowdPage, marked_url: str) -> None:
    page = crowd_page(
        f"""<crowd-form><input name="note" id="note">
        <crowd-bounding-box name="a" src="{marked_url}" labels='["x", "y"]'></crowd-bounding-box>
        <crowd-bounding-box name="b" src="{marked_url}" labels='["x", "y"]'></crowd-bounding-box>
        </crowd-form>"""
    )
    page.evaluate(
        "Promise.all([...document.querySelectorAll('crowd-bounding-box')].map((e) => e.ready))"
    )
    current = "[...document.querySelectorAll('crowd-bounding-box')].map((e) => e.currentLabel)"
    page.keyboard.press("2")
    assert page.evaluate(current) == [1, 0]  # the first tool, until another is used
    second = page.locator("crowd-bounding-box").nth(1)
    second.scroll_into_view_if_needed()
    box = second.locator(".stage").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 5, box["y"] + 5)
    page.keyboard.press("2")
    assert page.evaluate(current) == [1, 1]
    page.locator("#note").fill("1")  # typing in a text field is never a shortcut
    page.keyboard.press("1")
    assert page.evaluate(current) == [1, 1]


def test_layout_header_instructions_and_labels(
    crowd_page: CrowdPage, marked_url: str, screenshot_dir: Path
) -> None:
    inner = """<short-instructions>Box every car.</short-instructions>
      <full-instructions header="How to box cars"><p>Tight boxes.</p></full-instructions>"""
    page = open_tool(crowd_page, TAG, inner, src=marked_url, labels=LABELS, header="Find the cars")
    tool = page.locator(TAG)
    assert tool.locator(".top .title").inner_text() == "Find the cars"
    assert tool.locator(".meta").inner_text() == "3000 × 2000 px"
    assert tool.locator(".label .name").all_inner_texts() == LABELS
    assert tool.locator(".label kbd").all_inner_texts() == ["1", "2"]
    assert page.locator("short-instructions").is_visible()
    assert not page.locator("full-instructions").is_visible()
    page.get_by_role("button", name="View full instructions").click()
    assert page.locator("full-instructions").is_visible()
    page.keyboard.press("Escape")

    bare = open_tool(crowd_page, TAG, src=marked_url, labels=LABELS)
    assert bare.locator(f"{TAG} .side-left").is_hidden()


def test_screenshot_zoomed_in(crowd_page: CrowdPage, marked_url: str, screenshot_dir: Path) -> None:
    page = open_tool(
        crowd_page, TAG, src=marked_url, labels=LABELS, header="Zoomed in to the pixels"
    )
    screen = Screen(page, TAG)
    screen.drag((444, 1316), (876, 1596))
    page.mouse.move(*screen.point(450, 1330))
    for _ in range(6):
        page.mouse.wheel(0, -300)
    screen.refresh()
    assert screen.scale > 4
    page.mouse.click(*screen.point(460, 1340))  # select the box
    page.mouse.move(*screen.point(470, 1345))
    page.wait_for_timeout(150)
    page.screenshot(path=str(screenshot_dir / "crowd-image-zoomed.png"))
