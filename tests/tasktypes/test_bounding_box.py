"""Bounding box answers are checked, consolidated and written as Ground Truth's object-detection
line (reference 4.5)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.tasktypes.support import NOW, Files, obj, spec
from truthset.errors import Invalid
from truthset.tasktypes.bounding_box import BOUNDING_BOX, BOUNDING_BOX_ADJUSTMENT

LABELS = ["car", "pedestrian", "bicycle"]
JOB = spec(LABELS)


def answer(*boxes: tuple[str, float, float, float, float], w: int = 400, h: int = 300) -> Any:
    return {
        "boundingBox": {
            "boundingBoxes": [
                {"height": bh, "label": label, "left": left, "top": top, "width": bw}
                for label, left, top, bw, bh in boxes
            ],
            "inputImageProperties": {"height": h, "width": w},
        }
    }


def test_a_valid_answer_is_stored_as_given() -> None:
    given_answer = answer(("car", 10, 20, 30, 40), ("bicycle", 0, 0, 400, 300))
    assert BOUNDING_BOX.validate_answer(JOB, given_answer) == given_answer
    assert BOUNDING_BOX.answer_code(JOB, given_answer) is None
    assert BOUNDING_BOX.validate_answer(JOB, answer()) == answer()  # nothing to find


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([], "one key"),
        ({"a": 1, "b": 2}, "one key"),
        ({"boundingBox": []}, "must be an object"),
        ({"boundingBox": {"boundingBoxes": []}}, "inputImageProperties must be an object"),
        (answer(w=0), "inputImageProperties.width must be a whole number"),
        (answer(h=True), "inputImageProperties.height"),  # type: ignore[arg-type]
        ({"boundingBox": {"inputImageProperties": {"width": 4, "height": 3}}}, "must be a list"),
        (answer(("truck", 1, 1, 5, 5)), "'truck' is not one of the job's labels"),
        (answer(("car", 1, 1, 0, 5)), "width and height must be positive"),
        (answer(("car", 1, 1, 5, -2)), "width and height must be positive"),
        (answer(("car", -1, 1, 5, 5)), "is not inside the 400 x 300 image"),
        (answer(("car", 390, 1, 11, 5)), "boundingBoxes[0]: the box (390, 1, 11 x 5)"),
        (answer(("car", 1, 296, 5, 5)), "not inside"),
        (answer(("car", "1", 1, 5, 5)), "must be numbers"),  # type: ignore[arg-type]
        (answer(("car", float("nan"), 1, 5, 5)), "must be numbers"),
    ],
)
def test_bad_answers_are_refused_naming_the_field(bad: Any, message: str) -> None:
    with pytest.raises(Invalid) as error:
        BOUNDING_BOX.validate_answer(JOB, bad)
    assert message in error.value.message


@st.composite
def box_in(draw: st.DrawFn, w: int, h: int) -> tuple[str, int, int, int, int]:
    left = draw(st.integers(0, w - 1))
    top = draw(st.integers(0, h - 1))
    return (
        draw(st.sampled_from(LABELS)),
        left,
        top,
        draw(st.integers(1, w - left)),
        draw(st.integers(1, h - top)),
    )


@given(st.lists(box_in(400, 300), max_size=8))
def test_every_box_inside_the_image_is_accepted(boxes: list[Any]) -> None:
    BOUNDING_BOX.validate_answer(JOB, answer(*boxes))


@given(box_in(400, 300), st.integers(1, 50), st.sampled_from(["left", "top", "width", "height"]))
def test_a_box_pushed_outside_the_image_is_refused(box: Any, by: int, side: str) -> None:
    label, left, top, w, h = box
    moved = {"left": left, "top": top, "width": w, "height": h}
    if side in ("left", "top"):
        moved[side] = -by
    else:
        moved[side] += (400 - left if side == "width" else 300 - top) - moved[side] + by
    with pytest.raises(Invalid):
        BOUNDING_BOX.validate_answer(JOB, answer((label, *moved.values())))  # type: ignore[arg-type]


def consolidate(*contents: Any) -> dict[str, Any]:
    (label,) = BOUNDING_BOX.consolidate(JOB, [obj(list(contents))], Files().context())
    return label.content


def test_identical_answers_give_the_same_boxes_with_confidence_one() -> None:
    same = answer(("pedestrian", 111, 134, 61, 128), ("bicycle", 161, 250, 30, 30))
    content = consolidate(same, same, same)
    assert content["out"] == {
        "image_size": [{"width": 400, "height": 300, "depth": 3}],
        "annotations": [
            {"class_id": 1, "left": 111, "top": 134, "width": 61, "height": 128},
            {"class_id": 2, "left": 161, "top": 250, "width": 30, "height": 30},
        ],
    }
    assert content["out-metadata"] == {
        "objects": [{"confidence": 1.0}, {"confidence": 1.0}],
        "class-map": {"1": "pedestrian", "2": "bicycle"},
        "type": "groundtruth/object-detection",
        "job-name": "labeling-job/job",
        "human-annotated": "yes",
        "creation-date": "2026-11-25T09:30:00.123456",
    }


def test_one_worker_gives_confidence_zero_and_an_empty_answer_an_empty_label() -> None:
    content = consolidate(answer(("car", 1, 2, 3, 4)))
    assert content["out-metadata"]["objects"] == [{"confidence": 0.0}]
    empty = consolidate(answer(), answer())
    assert empty["out"]["annotations"] == [] and empty["out-metadata"]["class-map"] == {}


def test_disjoint_boxes_are_not_merged_and_a_minority_box_is_dropped() -> None:
    content = consolidate(
        answer(("car", 0, 0, 50, 50)),
        answer(("car", 0, 0, 50, 50), ("car", 300, 200, 20, 20)),
        answer(("car", 2, 2, 50, 50), ("car", 100, 100, 20, 20)),
    )
    (box,) = content["out"]["annotations"]
    assert box["left"] == 0 and box["width"] == 50
    (confidence,) = content["out-metadata"]["objects"]
    assert 0.9 < confidence["confidence"] < 1.0


def test_answers_on_another_image_size_are_left_out() -> None:
    content = consolidate(
        answer(("car", 10, 10, 50, 50)),
        answer(("car", 10, 10, 50, 50)),
        answer(("bicycle", 0, 0, 600, 500), w=600, h=500),
    )
    assert content["out"]["image_size"][0]["width"] == 400
    assert content["out"]["annotations"] == [
        {"class_id": 0, "left": 10, "top": 10, "width": 50, "height": 50}
    ]


@given(st.lists(st.lists(box_in(400, 300), max_size=4), min_size=1, max_size=4), st.randoms())
def test_worker_order_does_not_matter(answers: list[Any], rng: Any) -> None:
    contents = [answer(*boxes) for boxes in answers]
    shuffled = list(contents)
    rng.shuffle(shuffled)
    assert consolidate(*contents) == consolidate(*shuffled)


def test_adjustment_requires_initial_value_modified_and_writes_the_status() -> None:
    job = spec(LABELS, audit_label_attribute_name="boxes")
    unchanged = answer(("car", 1, 2, 3, 4))
    with pytest.raises(Invalid, match="initialValueModified must be true or false"):
        BOUNDING_BOX_ADJUSTMENT.validate_answer(job, unchanged)
    unchanged["boundingBox"]["initialValueModified"] = False
    changed = answer(("car", 1, 2, 3, 5))
    changed["boundingBox"]["initialValueModified"] = True
    for contents, status in (
        ([unchanged, unchanged], "unadjusted"),
        ([unchanged, changed], "adjusted"),
    ):
        for content in contents:
            BOUNDING_BOX_ADJUSTMENT.validate_answer(job, content)
        (label,) = BOUNDING_BOX_ADJUSTMENT.consolidate(job, [obj(contents)], Files().context())
        meta = label.content["out-metadata"]
        assert meta["adjustment-status"] == status
        assert meta["type"] == "groundtruth/object-detection"
    assert NOW  # the context's clock


def test_adjustment_starts_from_the_earlier_boxes() -> None:
    job = spec(["dog", "bone", "cat"], attribute="adjusted", audit_label_attribute_name="boxes")
    line = {
        "source-ref": "/data/a.png",
        "boxes": {
            "image_size": [{"width": 500, "height": 400, "depth": 3}],
            "annotations": [
                {"class_id": 0, "left": 111, "top": 134, "width": 61, "height": 128},
                {"class_id": 5, "left": 161, "top": 250, "width": 30, "height": 30},
            ],
        },
        "boxes-metadata": {"class-map": {"0": "dog", "5": "bone"}, "objects": []},
    }
    BOUNDING_BOX_ADJUSTMENT.check_job(job)
    BOUNDING_BOX_ADJUSTMENT.check_line(job, line)
    shown = BOUNDING_BOX_ADJUSTMENT.task_input(job, line, lambda uri: f"/media/{uri}")
    assert shown["taskObject"] == "/media//data/a.png"
    assert shown["initialValue"] == [
        {"label": "dog", "left": 111, "top": 134, "width": 61, "height": 128},
        {"label": "bone", "left": 161, "top": 250, "width": 30, "height": 30},
    ]
    with pytest.raises(Invalid, match="'bone' is not one of the job's labels"):
        BOUNDING_BOX_ADJUSTMENT.check_line(spec(["dog"], audit_label_attribute_name="boxes"), line)
    with pytest.raises(Invalid, match="has no 'boxes' label to audit"):
        BOUNDING_BOX_ADJUSTMENT.check_line(job, {"source-ref": "/data/b.png"})
