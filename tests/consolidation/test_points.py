"""Keypoint consolidation: matching per label within a radius, median, confidence, invariants."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from truthset.consolidation.points import ConsolidatedPoint, consolidate_points

WIDTH, HEIGHT = 1000, 800
RADIUS = 0.03 * math.hypot(WIDTH, HEIGHT)  # about 38 px
Point = tuple[str, float, float]


@st.composite
def point_lists(draw: st.DrawFn, max_points: int = 6) -> list[Point]:
    return [
        (
            draw(st.sampled_from(["eye", "nose"])),
            float(draw(st.integers(0, WIDTH))),
            float(draw(st.integers(0, HEIGHT))),
        )
        for _ in range(draw(st.integers(0, max_points)))
    ]


def as_points(points: list[ConsolidatedPoint]) -> list[Point]:
    return [(p.label, p.x, p.y) for p in points]


@settings(deadline=None)
@given(point_lists(), st.integers(1, 5))
def test_identical_answers_give_back_the_points_with_confidence_one(
    answer: list[Point], n: int
) -> None:
    result = consolidate_points([answer] * n, WIDTH, HEIGHT)
    assert as_points(result) == sorted(answer, key=lambda p: (p[0], p[2], p[1]))
    assert all(p.confidence == 1.0 and p.support == n for p in result)


@settings(max_examples=50, deadline=None)
@given(st.lists(point_lists(max_points=4), min_size=1, max_size=5), st.data())
def test_permuting_workers_and_their_points_changes_nothing(
    answers: list[list[Point]], data: st.DataObject
) -> None:
    shuffled = [data.draw(st.permutations(a)) for a in data.draw(st.permutations(answers))]
    for min_share in (0.5, 0.0):
        assert consolidate_points(
            shuffled, WIDTH, HEIGHT, min_share=min_share
        ) == consolidate_points(answers, WIDTH, HEIGHT, min_share=min_share)


def test_points_farther_apart_than_the_radius_are_not_merged() -> None:
    answers = [[("eye", 100.0, 100.0)], [("eye", 100.0 + RADIUS + 1, 100.0)]]
    assert len(consolidate_points(answers, WIDTH, HEIGHT, min_share=0.0)) == 2
    answers = [[("eye", 100.0, 100.0)], [("eye", 100.0 + RADIUS - 1, 100.0)]]
    assert len(consolidate_points(answers, WIDTH, HEIGHT, min_share=0.0)) == 1


def test_points_of_different_labels_are_not_merged() -> None:
    answers = [[("eye", 100.0, 100.0)], [("nose", 100.0, 100.0)]]
    result = consolidate_points(answers, WIDTH, HEIGHT)
    assert as_points(result) == [("eye", 100.0, 100.0), ("nose", 100.0, 100.0)]
    assert [p.confidence for p in result] == [0.5, 0.5]


def test_median_position_and_confidence() -> None:
    answers = [[("nose", 100.0, 100.0)], [("nose", 104.0, 100.0)], [("nose", 130.0, 103.0)], []]
    [point] = consolidate_points(answers, WIDTH, HEIGHT)
    assert (point.x, point.y, point.support) == (104.0, 100.0, 3)
    closeness = [1 - 4 / RADIUS, 1.0, 1 - math.hypot(26, 3) / RADIUS]
    assert point.confidence == pytest.approx(3 / 4 * sum(closeness) / 3)


def test_each_worker_contributes_one_point_per_cluster() -> None:
    # Two eyes close together, both marked by both workers: two keypoints, not one.
    answer = [("eye", 100.0, 100.0), ("eye", 110.0, 100.0)]
    result = consolidate_points([answer, list(reversed(answer))], WIDTH, HEIGHT)
    assert as_points(result) == [("eye", 100.0, 100.0), ("eye", 110.0, 100.0)]


def test_empty_answers() -> None:
    assert consolidate_points([], WIDTH, HEIGHT) == []
    assert consolidate_points([[], []], WIDTH, HEIGHT) == []


@pytest.mark.parametrize(
    ("point", "message"), [(("", 1.0, 1.0), "non-empty"), (("eye", math.nan, 1.0), "finite")]
)
def test_malformed_points_are_rejected_with_their_place(point: Point, message: str) -> None:
    with pytest.raises(ValueError, match=f"worker 0, keypoint 0: .*{message}"):
        consolidate_points([[point]], WIDTH, HEIGHT)
