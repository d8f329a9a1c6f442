"""<crowd-image-classifier> and <crowd-image-classifier-multi-select> in real Chromium."""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

CrowdPage = Callable[[str], Page]


def png_data_url(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def radiograph(width: int = 800, height: int = 600) -> str:
    """A synthetic chest film: soft bright lungs, spine and ribs on a dark field."""
    y, x = np.mgrid[0:height, 0:width].astype(float)
    u, v = x / width, y / height
    film = 18 + 22 * v
    for cx, cy, rx, ry, level in [(0.33, 0.52, 0.15, 0.33, 95), (0.67, 0.52, 0.15, 0.33, 95)]:
        film += level * np.exp(-((((u - cx) / rx) ** 2 + ((v - cy) / ry) ** 2) ** 2) * 1.4)
    film += 150 * np.exp(-(((u - 0.5) / 0.035) ** 2)) * (v > 0.05)
    for rib in range(9):
        curve = 0.2 + rib * 0.07 + 0.06 * ((u - 0.5) / 0.35) ** 2
        film += 30 * np.exp(-(((v - curve) * 45) ** 2)) * (np.abs(u - 0.5) < 0.36)
    film += 70 * np.exp(-(((u - 0.56) / 0.11) ** 2 + ((v - 0.66) / 0.09) ** 2))
    return png_data_url(Image.fromarray(np.clip(film, 0, 255).astype(np.uint8), "L"))


def flat_image(width: int, height: int, color: str = "#64748b") -> str:
    return png_data_url(Image.new("RGB", (width, height), color))


def attr(value: Any) -> str:
    return html.escape(json.dumps(value), quote=True)


CATEGORIES = ["Pneumothorax", "No pneumothorax", "Not diagnostic", "Other finding"]


def classifier_page(crowd_page: CrowdPage, inner: str = "", **attrs: Any) -> Page:
    attributes = {"name": "finding", "header": "Is there a pneumothorax?", "categories": CATEGORIES}
    attributes.update(attrs)
    rendered = " ".join(
        f'{k}="{v if isinstance(v, str) else attr(v)}"' for k, v in attributes.items()
    )
    body = f"<crowd-form><crowd-image-classifier {rendered}>{inner}</crowd-image-classifier></crowd-form>"
    page = crowd_page(body)
    page.wait_for_function(
        "document.querySelector('crowd-image-classifier').shadowRoot.querySelector('.choice')"
    )
    return page


def choice(page: Page, name: str) -> Any:
    return page.locator(".choice", has_text=name)


def submitted(page: Page) -> list[Any]:
    return page.evaluate("window.submitted")


def submit_button(page: Page) -> Any:
    return page.locator("crowd-form crowd-button .button")


def test_mouse_choice_then_enter_submits_the_label(crowd_page: CrowdPage) -> None:
    page = classifier_page(crowd_page, src=flat_image(64, 48))
    choice(page, "No pneumothorax").click()
    expect(choice(page, "No pneumothorax")).to_have_attribute("aria-pressed", "true")
    expect(choice(page, "Pneumothorax").first).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Enter")
    assert submitted(page) == [{"finding": {"label": "No pneumothorax"}}]


def test_number_key_selects_and_pressing_again_keeps_it(crowd_page: CrowdPage) -> None:
    page = classifier_page(crowd_page, src=flat_image(64, 48))
    page.keyboard.press("3")
    page.keyboard.press("3")
    expect(choice(page, "Not diagnostic")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("1")
    expect(choice(page, "Not diagnostic")).to_have_attribute("aria-pressed", "false")
    submit_button(page).click()
    assert submitted(page) == [{"finding": {"label": "Pneumothorax"}}]


def test_nothing_chosen_shows_the_problem_beside_the_button(crowd_page: CrowdPage) -> None:
    page = classifier_page(crowd_page, src=flat_image(64, 48))
    page.keyboard.press("Enter")
    problem = page.locator("crowd-form crowd-button .problem")
    expect(problem).to_be_visible()
    expect(problem).to_have_text("Choose a category")
    assert submitted(page) == []
    problem_box, button_box = problem.bounding_box(), submit_button(page).bounding_box()
    assert problem_box and button_box
    assert (
        abs(
            problem_box["y"]
            + problem_box["height"] / 2
            - button_box["y"]
            - button_box["height"] / 2
        )
        < 4
    )
    assert problem_box["x"] + problem_box["width"] <= button_box["x"]
    page.keyboard.press("2")
    expect(problem).to_be_hidden()
    submit_button(page).click()
    assert submitted(page) == [{"finding": {"label": "No pneumothorax"}}]


COMMENT = '<worker-comment header="What is wrong?" link-text="Report a problem" placeholder="Tell us"></worker-comment>'


def test_worker_comment_is_part_of_the_answer(crowd_page: CrowdPage) -> None:
    page = classifier_page(crowd_page, COMMENT, src=flat_image(64, 48))
    page.keyboard.press("4")
    page.get_by_role("button", name="Report a problem").click()
    comment = page.get_by_label("What is wrong?")
    expect(comment).to_be_focused()
    expect(comment).to_have_attribute("placeholder", "Tell us")
    # Digits and Enter typed into the comment are text, not shortcuts.
    comment.press_sequentially("Rib 2 fracture")
    comment.press("Enter")
    expect(choice(page, "Other finding")).to_have_attribute("aria-pressed", "true")
    assert submitted(page) == []
    comment.press("Control+Enter")
    assert submitted(page) == [
        {"finding": {"label": "Other finding", "workerComment": "Rib 2 fracture\n"}}
    ]


def test_blank_comment_is_left_out(crowd_page: CrowdPage) -> None:
    page = classifier_page(crowd_page, COMMENT, src=flat_image(64, 48))
    page.get_by_role("button", name="Report a problem").click()
    page.get_by_label("What is wrong?").fill("   ")
    choice(page, "Pneumothorax").first.click()
    submit_button(page).click()
    assert submitted(page) == [{"finding": {"label": "Pneumothorax"}}]


def test_many_long_categories_scroll_and_only_ten_get_keys(crowd_page: CrowdPage) -> None:
    categories = [
        f"Finding number {i} " + "with a very long descriptive name " * (i % 3) for i in range(14)
    ]
    page = classifier_page(crowd_page, categories=categories, src=flat_image(64, 48))
    badges = page.locator(".choice .key").all_inner_texts()
    assert badges == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "", "", "", ""]
    page.keyboard.press("0")
    expect(page.locator(".choice").nth(9)).to_have_attribute("aria-pressed", "true")
    scrolls = page.locator(".choice-list").evaluate("el => el.scrollHeight > el.clientHeight")
    assert scrolls
    expect(page.locator(".choice").nth(9)).to_be_in_viewport()
    more = page.locator(".more")
    expect(more).to_be_visible()
    page.locator(".choice-list").evaluate("el => el.scrollTo(0, el.scrollHeight)")
    expect(more).to_be_hidden()
    list_box = page.locator(".choice-list").bounding_box()
    for index in (1, 2, 13):
        box = page.locator(".choice").nth(index).bounding_box()
        assert list_box and box and box["x"] + box["width"] <= list_box["x"] + list_box["width"] + 1
    page.locator(".choice").nth(13).click()
    submit_button(page).click()
    assert submitted(page) == [{"finding": {"label": categories[13]}}]


def frame_box(page: Page, tag: str = "crowd-image-classifier") -> dict[str, float]:
    page.wait_for_function(
        f"document.querySelector('{tag}')?.shadowRoot.querySelector('.image')?.naturalWidth > 0"
    )
    box = page.locator(".frame").bounding_box()
    assert box
    return box


def test_small_image_is_upscaled_at_most_twice(crowd_page: CrowdPage) -> None:
    page = classifier_page(crowd_page, src=flat_image(100, 60))
    box = frame_box(page)
    assert box["width"] == pytest.approx(200, abs=0.5)
    assert box["height"] == pytest.approx(120, abs=0.5)
    image = page.locator(".image")
    expect(image).to_have_attribute("decoding", "async")
    expect(image).to_have_attribute("alt", "Is there a pneumothorax?")


def test_exif_orientation_is_honoured(crowd_page: CrowdPage) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown rotated 90° clockwise
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), "#94a3b8").save(buffer, "JPEG", exif=exif.tobytes())
    src = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
    page = classifier_page(crowd_page, src=src)
    box = frame_box(page)
    assert box["height"] / box["width"] == pytest.approx(2, rel=0.01)


def test_large_image_fits_the_stage_keeping_its_shape(crowd_page: CrowdPage) -> None:
    page = classifier_page(crowd_page, src=flat_image(3000, 1000))
    box = frame_box(page)
    stage = page.locator(".stage").bounding_box()
    assert stage
    assert box["width"] <= stage["width"] and box["height"] <= stage["height"]
    assert box["width"] / box["height"] == pytest.approx(3, rel=0.01)
    assert stage["width"] - box["width"] <= 32.5  # fills the width, less the padding


BOX_OVERLAY = {
    "boundingBox": {
        "labels": ["nodule", "effusion"],
        "value": [
            {"label": "nodule", "left": 250, "top": 180, "width": 90, "height": 80},
            {"label": "effusion", "left": 470, "top": 330, "width": 200, "height": 150},
        ],
    }
}


def test_bounding_box_overlay_is_drawn_in_image_pixels(crowd_page: CrowdPage) -> None:
    page = classifier_page(crowd_page, src=radiograph(800, 600), overlay=BOX_OVERLAY)
    frame = frame_box(page)
    scale = frame["width"] / 800
    assert frame["height"] / 600 == pytest.approx(scale, rel=0.002)
    boxes = page.locator(".box")
    expect(boxes).to_have_count(2)
    for i, expected in enumerate(BOX_OVERLAY["boundingBox"]["value"]):
        drawn = boxes.nth(i).bounding_box()
        assert drawn
        assert drawn["x"] == pytest.approx(frame["x"] + expected["left"] * scale, abs=1)
        assert drawn["y"] == pytest.approx(frame["y"] + expected["top"] * scale, abs=1)
        assert drawn["width"] == pytest.approx(expected["width"] * scale, abs=1)
        assert drawn["height"] == pytest.approx(expected["height"] * scale, abs=1)
        expect(boxes.nth(i).locator(".tag")).to_have_text(expected["label"])
    colors = boxes.evaluate_all("els => els.map(el => getComputedStyle(el).borderTopColor)")
    assert colors == ["rgb(31, 119, 180)", "rgb(255, 127, 14)"]  # labelColor(0), labelColor(1)
    expect(page.locator(".legend li")).to_have_text(["nodule× 1", "effusion× 1"])


def test_overlay_toggles_with_the_switch_and_the_h_key(crowd_page: CrowdPage) -> None:
    page = classifier_page(crowd_page, src=radiograph(400, 300), overlay=BOX_OVERLAY)
    frame_box(page)
    toggle = page.get_by_role("switch", name="Overlay")
    expect(page.locator(".box").first).to_be_visible()
    page.keyboard.press("h")
    expect(page.locator(".box").first).to_be_hidden()
    expect(toggle).to_have_attribute("aria-checked", "false")
    toggle.click()
    expect(page.locator(".box").first).to_be_visible()
    expect(toggle).to_have_attribute("aria-checked", "true")


def segmentation_mask() -> str:
    mask = Image.new("RGB", (200, 100), "#ffffff")
    ImageDraw.Draw(mask).rectangle([0, 0, 99, 99], fill="#2acf59")
    return png_data_url(mask)


def test_semantic_segmentation_mask_is_drawn_with_a_legend(crowd_page: CrowdPage) -> None:
    overlay = {
        "semanticSegmentation": {
            "labels": ["buildings", "road"],
            "labelMappings": {"buildings": {"color": "#2acf59"}, "road": {"color": "#f28333"}},
            "src": segmentation_mask(),
        }
    }
    page = classifier_page(crowd_page, src=flat_image(200, 100), overlay=overlay)
    frame = frame_box(page)
    mask = page.locator("canvas.mask")
    expect(mask).to_be_visible()
    mask_box = mask.bounding_box()
    assert mask_box and mask_box["width"] == pytest.approx(frame["width"], abs=0.5)
    pixels = mask.evaluate(
        "c => [c.getContext('2d').getImageData(50, 50, 1, 1).data,"
        " c.getContext('2d').getImageData(150, 50, 1, 1).data].map(d => [...d])"
    )
    assert pixels[0] == [0x2A, 0xCF, 0x59, 255]
    assert pixels[1][3] == 0  # white background made transparent
    swatches = page.locator(".legend .swatch").evaluate_all(
        "els => els.map(el => getComputedStyle(el).backgroundColor)"
    )
    assert swatches == ["rgb(42, 207, 89)", "rgb(242, 131, 51)"]
    expect(page.locator(".legend li")).to_have_text(["buildings", "road"])
    page.keyboard.press("h")
    expect(mask).to_be_hidden()


def test_bad_overlay_is_reported_and_bad_categories_block_submit(crowd_page: CrowdPage) -> None:
    page = classifier_page(crowd_page, src=flat_image(64, 48), overlay="{boundingBox: [")
    expect(page.locator(".config-problem")).to_contain_text("overlay attribute is not valid")
    page.locator("crowd-image-classifier").evaluate("el => el.setAttribute('categories', '[oops')")
    expect(page.locator(".config-problem")).to_contain_text("categories attribute is not valid")
    submit_button(page).click()
    expect(page.locator("crowd-form crowd-button .problem")).to_contain_text("categories")
    assert submitted(page) == []


def test_src_and_categories_follow_attribute_changes(crowd_page: CrowdPage) -> None:
    page = classifier_page(crowd_page, src=flat_image(100, 50))
    assert frame_box(page)["width"] == pytest.approx(200, abs=0.5)
    page.keyboard.press("2")
    element = page.locator("crowd-image-classifier")
    element.evaluate("(el, src) => el.setAttribute('src', src)", flat_image(50, 100))
    page.wait_for_function(
        "document.querySelector('crowd-image-classifier').shadowRoot"
        ".querySelector('.image').naturalWidth === 50"
    )
    expect(page.locator(".frame")).to_have_css("height", "200px")
    element.evaluate("el => el.setAttribute('categories', \"['Maybe', 'No pneumothorax']\")")
    expect(page.locator(".choice .name")).to_have_text(["Maybe", "No pneumothorax"])
    expect(choice(page, "No pneumothorax")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    assert submitted(page) == [{"finding": {"label": "No pneumothorax"}}]


def multi_page(crowd_page: CrowdPage) -> Page:
    body = f"""<crowd-form><crowd-image-classifier-multi-select name="animals"
      src="{flat_image(80, 60)}" header="Which animals are in the picture?"
      categories="['Cat', 'Dog', 'Horse']" exclusion-category="{{ text: 'None of the above' }}">
    </crowd-image-classifier-multi-select></crowd-form>"""
    page = crowd_page(body)
    page.wait_for_function(
        "document.querySelector('crowd-image-classifier-multi-select')"
        ".shadowRoot.querySelector('.choice')"
    )
    return page


def test_multi_select_image_toggles_and_exclusion(crowd_page: CrowdPage) -> None:
    page = multi_page(crowd_page)
    expect(page.locator(".choice .name")).to_have_text(["Cat", "Dog", "Horse", "None of the above"])
    submit_button(page).click()
    expect(page.locator("crowd-form crowd-button .problem")).to_have_text(
        "Choose at least one category, or “None of the above”"
    )
    page.keyboard.press("3")
    choice(page, "Cat").click()
    page.keyboard.press("Enter")
    assert submitted(page) == [{"animals": {"labels": ["Cat", "Horse"]}}]
    page.keyboard.press("4")
    expect(choice(page, "Cat")).to_have_attribute("aria-pressed", "false")
    expect(choice(page, "None of the above")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    assert submitted(page)[-1] == {"animals": {"labels": []}}


def shoot(page: Page, path: Path) -> None:
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(path), animations="disabled")


INSTRUCTIONS = """
<short-instructions><p>Look at the whole film, including the apices and the costophrenic
  angles.</p><p>Choose <b>Not diagnostic</b> when the film is rotated or under-penetrated.</p>
</short-instructions>
<full-instructions header="Reading chest films"><p>Read the film systematically.</p>
</full-instructions>"""


def test_screenshots(crowd_page: CrowdPage, page: Page, screenshot_dir: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page = classifier_page(crowd_page, INSTRUCTIONS + COMMENT, src=radiograph(900, 700))
    frame_box(page)
    page.keyboard.press("2")
    shoot(page, screenshot_dir / "image-classifier.png")

    page = classifier_page(crowd_page, INSTRUCTIONS, src=radiograph(900, 700))
    frame_box(page)
    page.keyboard.press("Enter")
    shoot(page, screenshot_dir / "image-classifier-problem.png")

    verify = ["Correct", "Box too large or too small", "Wrong label", "Missing findings"]
    page = classifier_page(
        crowd_page,
        INSTRUCTIONS + COMMENT,
        src=radiograph(800, 600),
        overlay=BOX_OVERLAY,
        categories=verify,
        header="Are the findings boxed correctly?",
    )
    frame_box(page)
    page.keyboard.press("2")
    page.get_by_role("button", name="Report a problem").click()
    page.keyboard.type("The effusion box is too wide on the right side.")
    shoot(page, screenshot_dir / "image-classifier-verify-boxes.png")

    mask = Image.new("RGB", (800, 600), "#ffffff")
    draw = ImageDraw.Draw(mask)
    draw.ellipse([140, 140, 380, 480], fill="#2acf59")
    draw.ellipse([420, 140, 660, 480], fill="#2acf59")
    draw.rectangle([380, 30, 420, 590], fill="#f28333")
    overlay = {
        "semanticSegmentation": {
            "labels": ["lung", "spine"],
            "labelMappings": {"lung": {"color": "#2acf59"}, "spine": {"color": "#f28333"}},
            "src": png_data_url(mask),
        }
    }
    page = classifier_page(
        crowd_page,
        INSTRUCTIONS,
        src=radiograph(800, 600),
        overlay=overlay,
        categories=["Good segmentation", "Bad segmentation"],
        header="Is the segmentation right?",
    )
    frame_box(page)
    page.wait_for_selector("crowd-image-classifier >> canvas.mask")
    shoot(page, screenshot_dir / "image-classifier-verify-mask.png")

    many = [
        "Normal",
        "Consolidation",
        "Pleural effusion",
        "Cardiomegaly",
        "Pneumothorax",
        "Nodule or mass",
        "Rib fracture",
        "Support device malpositioned",
        "Atelectasis",
        "Emphysema",
        "Interstitial pattern",
        "Hilar enlargement",
        "Other finding that needs a radiologist's second opinion before reporting",
    ]
    page = classifier_page(crowd_page, INSTRUCTIONS, src=radiograph(900, 700), categories=many)
    frame_box(page)
    page.keyboard.press("0")
    shoot(page, screenshot_dir / "image-classifier-many-categories.png")

    body = f"""<crowd-form><crowd-image-classifier-multi-select name="findings"
      src="{radiograph(900, 700)}" header="Which findings are visible on this film?"
      categories="['Consolidation', 'Pleural effusion', 'Cardiomegaly', 'Pneumothorax',
                   'Nodule or mass', 'Rib fracture', 'Support device']"
      exclusion-category="{{ text: 'No finding' }}">{INSTRUCTIONS}
    </crowd-image-classifier-multi-select></crowd-form>"""
    page = crowd_page(body)
    frame_box(page, "crowd-image-classifier-multi-select")
    page.keyboard.press("1")
    page.keyboard.press("5")
    shoot(page, screenshot_dir / "image-classifier-multi-select.png")
