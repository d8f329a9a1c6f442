"""The Amazon A2I review elements in real Chromium: crowd-rekognition-detect-moderation-labels and
crowd-textract-analyze-document, with the answers under A2I's fixed keys."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.crowd.test_image_viewport_support import (
    CrowdPage,
    ImageServer,
    serve_images,  # noqa: F401
    street_scene,
    submit,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

REKOGNITION = "AWS/Rekognition/DetectModerationLabels/Image/V3"
TEXTRACT = "AWS/Textract/AnalyzeDocument/Forms/V1"


@pytest.fixture(scope="module")
def image_url(image_server: ImageServer) -> str:
    return image_server.add_image("document-850x1100.png", street_scene(850, 1100))


def problem(page: Page) -> Any:
    return page.locator("crowd-form .footer crowd-button .problem")


# As A2I's sample template writes the categories: a Liquid loop of JS object literals.
MODERATION = """<crowd-form><crowd-rekognition-detect-moderation-labels
    categories='[
        { name: "Gore", parentName: "Violence", },
        { name: "Corpses", parentName: "Violence", },
        { name: "Weapons", parentName: "Violence", },
    ]'
    src="SRC" header="Review the image and choose all applicable categories."
    EXTRA>
    <short-instructions header="Instructions"><p>If no categories apply, choose None.</p>
    </short-instructions><full-instructions header="Instructions"></full-instructions>
  </crowd-rekognition-detect-moderation-labels></crowd-form>"""


def test_moderation_labels_return_the_full_category_objects(
    crowd_page: CrowdPage, image_url: str
) -> None:
    page = crowd_page(MODERATION.replace("SRC", image_url).replace("EXTRA", ""))
    expect(
        page.get_by_role("img", name="Review the image and choose all applicable categories.")
    ).to_be_visible()
    page.get_by_role("button", name="Gore").click()
    page.keyboard.press("2")
    assert submit(page) == [
        {
            REKOGNITION: {
                "ModerationLabels": [
                    {"name": "Gore", "parentName": "Violence"},
                    {"name": "Corpses", "parentName": "Violence"},
                ]
            }
        }
    ]


def test_moderation_exclusion_category_gives_an_empty_list(
    crowd_page: CrowdPage, image_url: str
) -> None:
    page = crowd_page(
        MODERATION.replace("SRC", image_url).replace(
            "EXTRA", "exclusion-category=\"{ text: 'None' }\""
        )
    )
    assert submit(page) == []
    page.get_by_role("button", name="None").click()
    assert submit(page) == [{REKOGNITION: {"ModerationLabels": []}}]


def test_moderation_with_string_categories(crowd_page: CrowdPage, image_url: str) -> None:
    page = crowd_page(
        f"""<crowd-form><crowd-rekognition-detect-moderation-labels
          categories="['Nudity', 'Weapons']" src="{image_url}" header="Moderate">
        </crowd-rekognition-detect-moderation-labels></crowd-form>"""
    )
    page.keyboard.press("2")
    assert submit(page) == [{REKOGNITION: {"ModerationLabels": ["Weapons"]}}]


BLOCKS = [
    {
        "blockType": "KEY_VALUE_SET",
        "confidence": 38.4,
        "geometry": {"boundingBox": {"width": 0.2, "height": 0.03, "left": 0.1, "top": 0.2}},
        "id": "key-1",
        "relationships": [
            {"type": "CHILD", "ids": ["word-1", "word-2"]},
            {"type": "VALUE", "ids": ["value-1"]},
        ],
        "entityTypes": ["KEY"],
    },
    {
        "blockType": "KEY_VALUE_SET",
        "geometry": {"boundingBox": {"width": 0.3, "height": 0.03, "left": 0.35, "top": 0.2}},
        "id": "value-1",
        "relationships": [{"type": "CHILD", "ids": ["word-3"]}],
        "entityTypes": ["VALUE"],
    },
    {"blockType": "WORD", "id": "word-1", "text": "Last"},
    {"blockType": "WORD", "id": "word-2", "text": "name"},
    {"blockType": "WORD", "id": "word-3", "text": "Smtih"},
    {
        "blockType": "KEY_VALUE_SET",
        "id": "key-2",
        "relationships": [{"type": "VALUE", "ids": ["value-2"]}],
        "entityTypes": ["KEY"],
        "text": "Phone",
    },
    {"blockType": "KEY_VALUE_SET", "id": "value-2", "entityTypes": ["VALUE"], "text": "555"},
]

KEYS = [
    {"importantFormKey": "Last name", "importantFormKeyAliases": ["Surname"]},
    {"importantFormKey": "Address", "importantFormKeyAliases": ["address", "Addr."]},
    {"importantFormKey": "Date of birth"},
]


def textract_page(crowd_page: CrowdPage, src: str) -> Page:
    return crowd_page(
        f"""<crowd-form><crowd-textract-analyze-document src="{src}"
          initial-value="{html.escape(json.dumps(BLOCKS))}"
          header="Review the key-value pairs" no-key-edit no-geometry-edit
          keys="{html.escape(json.dumps(KEYS))}" block-types="['KEY_VALUE_SET']">
          <short-instructions header="Instructions"><p>Correct the values.</p></short-instructions>
        </crowd-textract-analyze-document></crowd-form>"""
    )


def test_textract_review_corrects_drops_and_adds(crowd_page: CrowdPage, image_url: str) -> None:
    page = textract_page(crowd_page, image_url)
    keys = page.get_by_role("textbox", name="Key")
    expect(keys).to_have_count(2)
    expect(keys.first).to_have_value("Last name")
    expect(keys.first).to_have_attribute("readonly", "")
    value = page.get_by_role("textbox", name="Value").first
    expect(value).to_have_value("Smtih")
    value.fill("Smith")  # focusing the pair draws its key and value boxes on the document
    boxes = page.locator("crowd-textract-analyze-document [part=overlay-box]")
    expect(boxes).to_have_count(2)
    page.get_by_role("checkbox", name="Not a key-value pair").nth(1).check()
    assert submit(page) == []
    expect(problem(page)).to_have_text("Give the value of “Address”, or mark it “Key not found”")
    page.get_by_role("textbox", name="Address").fill("1 Main St")
    page.get_by_role("checkbox", name="Key not found").nth(1).check()
    answer = submit(page)[-1][TEXTRACT]["blocks"]
    assert answer[:2] == [
        {
            "blockType": "KEY_VALUE_SET",
            "id": "key-1",
            "relationships": [
                {"type": "VALUE", "ids": ["value-1"]},
                {"type": "CHILD", "ids": ["word-1", "word-2"]},
            ],
            "entityTypes": ["KEY"],
            "text": "Last name",
        },
        {
            "blockType": "KEY_VALUE_SET",
            "id": "value-1",
            "relationships": [{"type": "CHILD", "ids": ["word-3"]}],
            "entityTypes": ["VALUE"],
            "text": "Smith",
        },
    ]
    added_key, added_value = answer[2:]
    assert added_key["text"] == "Address" and added_key["entityTypes"] == ["KEY"]
    assert added_key["relationships"] == [{"type": "VALUE", "ids": [added_value["id"]]}]
    assert added_value == {
        "blockType": "KEY_VALUE_SET",
        "id": added_value["id"],
        "relationships": [],
        "entityTypes": ["VALUE"],
        "text": "1 Main St",
    }
