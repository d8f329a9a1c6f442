"""Keypoint and polygon task types: answers checked, consolidated by matching, written in the
shape docs/task-types.md documents."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.tasktypes.support import Files, obj, spec
from truthset.errors import Invalid
from truthset.tasktypes.keypoint import KEYPOINT, pixel
from truthset.tasktypes.polygon import POLYGON

PARTS = ["nose", "left eye", "right eye"]
JOB = spec(PARTS, attribute="face")


def points(*items: tuple[str, float, float], w: int = 1000, h: int = 800) -> Any:
    return {
        "annotatedResult": {
            "inputImageProperties": {"height": h, "width": w},
            "keypoints": [{"label": label, "x": x, "y": y} for label, x, y in items],
        }
    }


def polygons(*items: tuple[str, list[tuple[float, float]]], w: int = 1000, h: int = 800) -> Any:
    return {
        "annotatedResult": {
            "inputImageProperties": {"height": h, "width": w},
            "polygons": [
                {"label": label, "vertices": [{"x": x, "y": y} for x, y in vertices]}
                for label, vertices in items
            ],
        }
    }


def test_keypoint_answers_are_checked() -> None:
    good = points(("nose", 0, 0), ("left eye", 999, 799), ("right eye", 12.5, 3))
    assert KEYPOINT.validate_answer(JOB, good) == good
    for bad, message in (
        (points(("ear", 1, 1)), "'ear' is not one of the job's labels"),
        (points(("nose", -1, 1)), "keypoints[0]: (-1, 1) is not inside the 1000 x 800 image"),
        (points(("nose", 1, 801)), "not inside"),
        (points(("nose", None, 1)), "x and y must be numbers"),  # type: ignore[arg-type]
        (
            {"annotatedResult": {"inputImageProperties": {"width": 3, "height": 3}}},
            "keypoints must be a list",
        ),
    ):
        with pytest.raises(Invalid) as error:
            KEYPOINT.validate_answer(JOB, bad)
        assert message in error.value.message


def test_keypoints_are_matched_per_label_and_averaged() -> None:
    answers = [
        points(("nose", 500, 400), ("left eye", 450, 350)),
        points(("nose", 502, 401), ("left eye", 452, 350)),
        points(("nose", 504, 402), ("right eye", 550, 350)),
    ]
    (label,) = KEYPOINT.consolidate(JOB, [obj(answers)], Files().context())
    assert label.content["face"] == {
        "image_size": [{"width": 1000, "height": 800, "depth": 3}],
        "annotations": [
            {"class_id": 0, "x": 502, "y": 401},
            {"class_id": 1, "x": 451, "y": 350},
        ],
    }
    meta = label.content["face-metadata"]
    assert meta["class-map"] == {"0": "nose", "1": "left eye"}
    assert meta["type"] == "truthset/keypoint"
    nose, eye = meta["objects"]
    assert 0.9 < nose["confidence"] < 1.0 and 0.6 < eye["confidence"] < 0.67


def test_one_keypoint_worker_gives_confidence_zero() -> None:
    (label,) = KEYPOINT.consolidate(JOB, [obj([points(("nose", 1, 2))])], Files().context())
    assert label.content["face-metadata"]["objects"] == [{"confidence": 0.0}]


@given(st.floats(0, 1e5, allow_nan=False))
def test_pixels_are_integers_when_whole_and_two_decimals_otherwise(value: float) -> None:
    written = pixel(value)
    assert abs(written - value) <= 0.005 + 1e-9
    assert isinstance(written, int) == (round(value, 2) == int(round(value, 2)))


SQUARE = [(100.0, 100.0), (200.0, 100.0), (200.0, 200.0), (100.0, 200.0)]


def test_polygon_answers_are_checked() -> None:
    good = polygons(("nose", SQUARE), ("left eye", [(0, 0), (1000, 0), (0, 800)]))
    assert POLYGON.validate_answer(JOB, good) == good
    for bad, message in (
        (polygons(("nose", SQUARE[:2])), "vertices must be a list of 3 to 10000 points"),
        (polygons(("nose", [(0, 0), (5, 5), (10, 10)])), "the polygon encloses no area"),
        (polygons(("nose", [(0, 0), (1001, 0), (0, 5)])), "vertices[1]: (1001, 0) is not inside"),
        (polygons(("mouth", SQUARE)), "'mouth' is not one of the job's labels"),
    ):
        with pytest.raises(Invalid) as error:
            POLYGON.validate_answer(JOB, bad)
        assert message in error.value.message


def test_polygons_are_matched_and_the_medoid_is_written() -> None:
    shifted = [(x + 4, y) for x, y in SQUARE]
    answers = [
        polygons(("nose", SQUARE)),
        polygons(("nose", SQUARE)),
        polygons(("left eye", shifted), ("right eye", [(600, 600), (700, 600), (650, 700)])),
    ]
    (label,) = POLYGON.consolidate(JOB, [obj(answers)], Files().context())
    assert label.content["face"]["annotations"] == [
        {
            "class_id": 0,
            "vertices": [
                {"x": x, "y": y} for x, y in [(100, 100), (200, 100), (200, 200), (100, 200)]
            ],
        }
    ]
    meta = label.content["face-metadata"]
    assert meta["class-map"] == {"0": "nose"} and meta["type"] == "truthset/polygon"
    ((confidence,),) = [list(o.values()) for o in meta["objects"]]
    assert 0.6 < confidence < 0.67  # two workers of three agree, the third's square overlaps


@given(st.permutations([0, 1, 2]))
def test_polygon_worker_order_does_not_matter(order: list[int]) -> None:
    answers = [
        polygons(("nose", SQUARE)),
        polygons(("left eye", [(x + 10, y + 5) for x, y in SQUARE])),
        polygons(
            ("nose", [(x - 3, y) for x, y in SQUARE]), ("right eye", [(0, 0), (9, 0), (0, 9)])
        ),
    ]
    context = Files().context()
    (first,) = POLYGON.consolidate(JOB, [obj(answers)], context)
    (again,) = POLYGON.consolidate(JOB, [obj([answers[i] for i in order])], context)
    assert first.content == again.content


@given(
    st.floats(-50, 1050, allow_nan=False),
    st.floats(-50, 850, allow_nan=False),
    st.sampled_from(PARTS),
)
def test_a_keypoint_is_accepted_exactly_when_inside_the_image(
    x: float, y: float, part: str
) -> None:
    inside = 0 <= x <= 1000 and 0 <= y <= 800
    try:
        KEYPOINT.validate_answer(JOB, points((part, x, y)))
    except Invalid:
        assert not inside
    else:
        assert inside
