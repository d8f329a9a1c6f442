"""<crowd-instance-segmentation> in real Chromium: instances of one label in their own colours,
new instances with N, deleting an instance, an earlier mask as initial value, the exact output."""

from __future__ import annotations

import base64
import io
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
    value,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

TAG = "crowd-instance-segmentation"
LABELS = ["Cat", "Dog", "Bird"]
TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]


@pytest.fixture(scope="module")
def scene_url(image_server: ImageServer) -> str:
    return image_server.add_image("pets-800x533.png", street_scene(800, 533))


def rgba(hex_color: str) -> tuple[int, int, int, int]:
    n = int(hex_color[1:], 16)
    return (n >> 16, (n >> 8) & 255, n & 255, 255)


def mask_of(result: dict[str, Any]) -> np.ndarray:
    data = base64.b64decode(result["labeledImage"]["pngImageData"])
    return np.array(Image.open(io.BytesIO(data)).convert("RGBA"))


def fill_square(page: Page, screen: Screen, left: int, top: int, size: int) -> None:
    page.keyboard.press("p")
    for x, y in [(left, top), (left + size, top), (left + size, top + size), (left, top + size)]:
        screen.click(x, y)
    page.keyboard.press("Enter")


def open_page(crowd_page: CrowdPage, src: str, **attrs: Any) -> tuple[Page, Screen]:
    page = open_tool(crowd_page, TAG, src=src, labels=LABELS, header="Label each animal", **attrs)
    return page, Screen(page, TAG)


def test_two_cats_and_a_dog(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = open_page(crowd_page, scene_url)
    page.keyboard.press("1")
    fill_square(page, screen, 40, 40, 100)
    page.keyboard.press("n")  # a second cat
    fill_square(page, screen, 300, 40, 100)
    page.keyboard.press("2")
    fill_square(page, screen, 40, 300, 120)
    result = submit(page)[-1]["annotatedResult"]
    assert sorted(result) == ["inputImageProperties", "instances", "labeledImage"]
    assert result["inputImageProperties"] == {"height": 533, "width": 800}
    assert result["instances"] == [
        {"color": TAB10[0], "label": "Cat"},
        {"color": TAB10[1], "label": "Cat"},
        {"color": TAB10[2], "label": "Dog"},
    ]
    mask = mask_of(result)
    assert mask.shape == (533, 800, 4)
    assert tuple(mask[90, 90]) == rgba(TAB10[0])
    assert tuple(mask[90, 350]) == rgba(TAB10[1])
    assert tuple(mask[360, 100]) == rgba(TAB10[2])
    assert tuple(mask[500, 700]) == (0, 0, 0, 0)
    colors = {tuple(c) for c in mask.reshape(-1, 4)}
    assert colors == {rgba(c) for c in TAB10[:3]} | {(0, 0, 0, 0)}
    rows = page.locator(f"{TAG} .shape .name")
    assert [t.strip() for t in rows.all_inner_texts()] == ["Cat #1", "Cat #2", "Dog #1"]

    # The dog is the instance being painted: Delete clears it, undo brings it back.
    page.keyboard.press("Delete")
    assert [i["label"] for i in value(page, TAG)["instances"]] == ["Cat", "Cat"]
    page.keyboard.press("Control+z")
    assert [i["label"] for i in value(page, TAG)["instances"]] == ["Cat", "Cat", "Dog"]


def test_painting_into_an_earlier_instance(crowd_page: CrowdPage, scene_url: str) -> None:
    page, screen = open_page(crowd_page, scene_url)
    fill_square(page, screen, 40, 40, 60)
    page.keyboard.press("n")
    fill_square(page, screen, 300, 40, 60)
    page.locator(f"{TAG} .shape").first.click()  # back to Cat #1
    fill_square(page, screen, 40, 300, 60)
    result = value(page, TAG)
    assert len(result["instances"]) == 2
    assert tuple(mask_of(result)[330, 70]) == rgba(TAB10[0])


def test_an_earlier_mask_as_initial_value(
    crowd_page: CrowdPage, scene_url: str, image_server: ImageServer
) -> None:
    earlier = Image.new("RGBA", (800, 533), (0, 0, 0, 0))
    draw = ImageDraw.Draw(earlier)
    draw.rectangle([10, 10, 109, 109], fill=rgba("#2ca02c"))
    draw.rectangle([200, 10, 299, 109], fill=rgba("#1f77b4"))
    mask_url = image_server.add("earlier-instances.png", encode(earlier), "image/png")
    initial = {
        "instances": [{"color": "#2ca02c", "label": "Cat"}, {"color": "#1f77b4", "label": "Dog"}],
        "src": mask_url,
    }
    page, _ = open_page(crowd_page, scene_url, initial_value=initial)
    result = value(page, TAG)
    assert result["initialValueModified"] is False
    assert result["instances"] == initial["instances"]
    mask = mask_of(result)
    assert tuple(mask[50, 50]) == rgba("#2ca02c") and tuple(mask[50, 250]) == rgba("#1f77b4")
