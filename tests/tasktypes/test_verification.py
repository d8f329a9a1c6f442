"""Label verification: the earlier label as an overlay, EM over the verdicts, worker feedback
(reference 4.6, 9.4)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.tasktypes.support import Files, obj, spec
from truthset.errors import Invalid
from truthset.tasktypes.base import load_template
from truthset.tasktypes.verification import (
    BOUNDING_BOX_VERIFICATION,
    SEMANTIC_SEGMENTATION_VERIFICATION,
)
from truthset.taskui import render

VERDICTS = ["good", "bad"]
JOB = spec(VERDICTS, attribute="verify-boxes", audit_label_attribute_name="boxes")
BOXES_LINE = {
    "source-ref": "/data/bird.png",
    "boxes": {
        "image_size": [{"width": 500, "height": 400, "depth": 3}],
        "annotations": [
            {"class_id": 0, "left": 111, "top": 134, "width": 61, "height": 128},
            {"class_id": 5, "left": 161, "top": 250, "width": 30, "height": 30},
        ],
    },
    "boxes-metadata": {"class-map": {"5": "bone", "0": "dog"}, "objects": []},
}


def verdict(label: str, comment: str | None = None) -> dict[str, Any]:
    value = {"label": label} | ({"workerComment": comment} if comment is not None else {})
    return {"crowd-image-classifier": value}


def test_boxes_are_shown_as_the_overlay_and_rendered_into_the_template() -> None:
    shown = BOUNDING_BOX_VERIFICATION.task_input(JOB, BOXES_LINE, lambda uri: "/media/t")
    assert shown["labels"] == VERDICTS
    assert shown["overlay"] == {
        "boundingBox": {
            "labels": ["dog", "bone"],
            "value": [
                {"label": "dog", "left": 111, "top": 134, "width": 61, "height": 128},
                {"label": "bone", "left": 161, "top": 250, "width": 30, "height": 30},
            ],
        }
    }
    page = render(load_template("label-verification.liquid"), shown, lambda uri: uri)
    attributes = element_attributes(page)
    assert json.loads(attributes["crowd-image-classifier"]["categories"]) == VERDICTS
    assert json.loads(attributes["crowd-image-classifier"]["overlay"]) == shown["overlay"]
    assert attributes["worker-comment"]["link-text"] == "Add a comment"


def element_attributes(page: str) -> dict[str, dict[str, str]]:
    """The attributes of each element of a rendered page, as a browser reads them."""
    found: dict[str, dict[str, str]] = {}

    class Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found[tag] = {key: value or "" for key, value in attrs}

    Parser().feed(page)
    return found


def test_a_mask_is_shown_through_a_signed_url() -> None:
    job = spec(VERDICTS, attribute="verify-city", audit_label_attribute_name="city-ref")
    line = {
        "source-ref": "/data/street.png",
        "city-ref": "/out/city/annotations/consolidated-annotation/output/0/m.png",
        "city-ref-metadata": {
            "internal-color-map": {
                "0": {"class-name": "BACKGROUND", "hex-color": "#ffffff", "confidence": 0.9},
                "1": {"class-name": "road", "hex-color": "#1f77b4", "confidence": 0.9},
            }
        },
    }
    SEMANTIC_SEGMENTATION_VERIFICATION.check_job(job)
    SEMANTIC_SEGMENTATION_VERIFICATION.check_line(job, line)
    shown = SEMANTIC_SEGMENTATION_VERIFICATION.task_input(job, line, lambda uri: "/media" + uri)
    assert shown["overlay"] == {
        "semanticSegmentation": {
            "labels": ["road"],
            "labelMappings": {"road": {"color": "#1f77b4"}},
            "src": "/media/out/city/annotations/consolidated-annotation/output/0/m.png",
        }
    }


@pytest.mark.parametrize(
    ("kind", "options", "attribute", "message"),
    [
        (BOUNDING_BOX_VERIFICATION, {}, "verify", "name the label to audit"),
        (BOUNDING_BOX_VERIFICATION, {"audit_label_attribute_name": "b-ref"}, "v", "must not end"),
        (BOUNDING_BOX_VERIFICATION, {"audit_label_attribute_name": "v"}, "v", "must differ"),
        (SEMANTIC_SEGMENTATION_VERIFICATION, {"audit_label_attribute_name": "c"}, "v", "must end"),
    ],
)
def test_job_rules(kind: Any, options: dict[str, str], attribute: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        kind.check_job(spec(VERDICTS, attribute=attribute, **options))


def test_the_audited_label_may_come_from_the_label_category_file() -> None:
    job = spec(VERDICTS, attribute="verify")
    job.label_config["auditLabelAttributeName"] = "boxes"
    BOUNDING_BOX_VERIFICATION.check_job(job)
    BOUNDING_BOX_VERIFICATION.check_line(job, BOXES_LINE)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"boxes": {"annotations": "x"}}, "boxes.annotations must be a list"),
        ({"boxes-metadata": None}, "has no 'boxes-metadata' object"),
        ({"boxes-metadata": {"class-map": {"0": "dog"}}}, r"annotations\[1\].class_id 5 is not"),
        (
            {"boxes": {"annotations": [{"class_id": 0, "left": 1, "top": 2, "width": "3"}]}},
            "needs numbers left, top, width and height",
        ),
    ],
)
def test_lines_without_a_usable_earlier_label_are_refused(change: Any, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        BOUNDING_BOX_VERIFICATION.check_line(JOB, BOXES_LINE | change)


def test_answers_are_verdicts_with_an_optional_comment() -> None:
    BOUNDING_BOX_VERIFICATION.validate_answer(JOB, verdict("bad", "too wide"))
    assert BOUNDING_BOX_VERIFICATION.answer_code(JOB, verdict("bad")) == "1"
    with pytest.raises(Invalid, match="'fine' is not one of the job's labels"):
        BOUNDING_BOX_VERIFICATION.validate_answer(JOB, verdict("fine"))
    with pytest.raises(Invalid, match="workerComment must be a string"):
        BOUNDING_BOX_VERIFICATION.validate_answer(JOB, verdict("bad", 3))  # type: ignore[arg-type]


def test_consolidation_is_em_over_verdicts_with_non_blank_comments_as_feedback() -> None:
    batch = [
        obj(
            [
                verdict("bad", "The box on the bird is too wide."),
                verdict("bad", "  "),
                verdict("good"),
            ],
            0,
        ),
        obj([verdict("good"), verdict("good"), verdict("good")], 1),
    ]
    # Object 2 was labeled in an earlier pass: EM sees its answers, but it is not relabeled.
    rows = [
        (
            o.object_id,
            a.worker_id,
            str(VERDICTS.index(a.content["crowd-image-classifier"]["label"])),
        )
        for o in batch
        for a in o.answers
    ]
    rows += [(2, "w0", "1"), (2, "w1", "1"), (2, "w2", "1")]
    labels = BOUNDING_BOX_VERIFICATION.consolidate(JOB, batch, Files().context(rows))
    assert [label.object_id for label in labels] == [0, 1]
    first = labels[0].content
    assert first["verify-boxes"] == 1
    meta = first["verify-boxes-metadata"]
    assert meta["class-name"] == "bad" and 0.5 < meta["confidence"] <= 1.0
    assert meta["type"] == "groundtruth/label-verification"
    assert meta["worker-feedback"] == [{"comment": "The box on the bird is too wide."}]
    assert "worker-feedback" not in labels[1].content["verify-boxes-metadata"]
