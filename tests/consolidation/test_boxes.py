"""Bounding-box consolidation: matching, averaging, confidence, invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from truthset.consolidation.boxes import ConsolidatedBox, consolidate_boxes

WIDTH, HEIGHT = 400, 300

BoxRow = tuple[int, int, int, int, int]


def box_rows(draw: st.DrawFn, max_boxes: int = 6) -> list[BoxRow]:
    count = draw(st.integers(0, max_boxes))
    rows = []
    for _ in range(count):
        left = draw(st.integers(0, WIDTH - 2))
        top = draw(st.integers(0, HEIGHT - 2))
        width = draw(st.integers(1, WIDTH - left))
        height = draw(st.integers(1, HEIGHT - top))
        rows.append((draw(st.integers(0, 3)), left, top, width, height))
    return rows


@st.composite
def one_answer(draw: st.DrawFn) -> list[BoxRow]:
    return box_rows(draw)


@st.composite
def several_answers(draw: st.DrawFn) -> list[list[BoxRow]]:
    return [box_rows(draw, max_boxes=4) for _ in range(draw(st.integers(1, 5)))]


def as_rows(boxes: list[ConsolidatedBox]) -> list[BoxRow]:
    return [(b.class_id, b.left, b.top, b.width, b.height) for b in boxes]


@settings(deadline=None)
@given(one_answer(), st.integers(1, 5))
def test_identical_answers_give_back_the_boxes_with_confidence_one(
    answer: list[BoxRow], n_workers: int
) -> None:
    result = consolidate_boxes([answer] * n_workers, WIDTH, HEIGHT)
    expected = sorted(answer, key=lambda r: (r[2], r[1], r[3], r[4], r[0]))
    assert as_rows(result) == expected
    assert all(b.confidence == 1.0 and b.support == n_workers for b in result)


@settings(max_examples=50, deadline=None)
@given(several_answers(), st.data())
def test_permuting_workers_and_their_boxes_changes_nothing(
    answers: list[list[BoxRow]], data: st.DataObject
) -> None:
    shuffled = [
        data.draw(st.permutations(answer)) for answer in data.draw(st.permutations(answers))
    ]
    for min_share in (0.5, 0.0):
        assert consolidate_boxes(shuffled, WIDTH, HEIGHT, min_share=min_share) == consolidate_boxes(
            answers, WIDTH, HEIGHT, min_share=min_share
        )


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(0, 150), st.integers(0, 250)), max_size=5))
def test_disjoint_answers_are_never_merged(corners: list[tuple[int, int]]) -> None:
    # Worker 0 draws only in the left half, worker 1 only in the right half.
    left_boxes = [(0, x, y, 50, 50) for x, y in corners]
    right_boxes = [(0, x + 200, y, 50, 50) for x, y in corners]
    result = consolidate_boxes([left_boxes, right_boxes], WIDTH, HEIGHT, min_share=0.0)
    assert len(result) == 2 * len(corners)
    assert all(b.support == 1 and b.confidence == 0.5 for b in result)


def test_no_answers_and_empty_answers_give_no_boxes() -> None:
    assert consolidate_boxes([], WIDTH, HEIGHT) == []
    assert consolidate_boxes([[], [], []], WIDTH, HEIGHT) == []


def test_one_worker_keeps_all_boxes_with_confidence_one() -> None:
    answer = [(1, 10, 10, 30, 40), (2, 10, 12, 30, 40)]
    result = consolidate_boxes([answer], WIDTH, HEIGHT)
    assert as_rows(result) == [(1, 10, 10, 30, 40), (2, 10, 12, 30, 40)]
    assert [b.confidence for b in result] == [1.0, 1.0]


def test_median_edges_ignore_a_sloppy_worker_and_the_majority_sets_the_class() -> None:
    answers = [
        [(0, 100, 100, 50, 50)],
        [(0, 102, 100, 50, 48)],
        [(1, 90, 95, 70, 60)],  # sloppy and mislabelled, IoU about 0.6 with the others
    ]
    [box] = consolidate_boxes(answers, WIDTH, HEIGHT)
    # Edges: left median(100, 102, 90), right median(150, 152, 160), ...
    assert as_rows([box]) == [(0, 100, 100, 52, 50)]
    assert box.support == 3
    ious = [2500 / 2600, 2400 / 2600, 2600 / 4200]
    assert box.confidence == pytest.approx(2 / 3 * sum(ious) / 3)


def test_spurious_box_of_one_worker_in_three_is_dropped() -> None:
    true_box = (0, 10, 10, 40, 40)
    answers = [[true_box, (0, 200, 200, 20, 20)], [true_box], [true_box]]
    [box] = consolidate_boxes(answers, WIDTH, HEIGHT)
    assert as_rows([box]) == [true_box]
    assert box.confidence == 1.0


def test_a_missed_box_lowers_confidence_by_the_share_of_workers() -> None:
    answers = [[(0, 10, 10, 40, 40)], [(0, 10, 10, 40, 40)], [(0, 10, 10, 40, 40)], []]
    [box] = consolidate_boxes(answers, WIDTH, HEIGHT)
    assert box.confidence == 0.75


def test_two_overlapping_boxes_of_one_worker_stay_two_objects() -> None:
    answer = [(0, 10, 10, 100, 100), (0, 20, 20, 100, 100)]  # IoU 0.68
    result = consolidate_boxes([answer, answer], WIDTH, HEIGHT)
    assert as_rows(result) == sorted(answer, key=lambda r: (r[2], r[1]))


def test_boxes_below_the_iou_threshold_are_not_matched() -> None:
    answers = [[(0, 0, 0, 100, 100)], [(0, 50, 0, 100, 100)]]  # IoU 1/3
    assert len(consolidate_boxes(answers, WIDTH, HEIGHT, iou_threshold=0.4)) == 2
    assert len(consolidate_boxes(answers, WIDTH, HEIGHT, iou_threshold=0.3)) == 1


def test_boxes_are_rounded_and_clipped_to_the_image() -> None:
    answers = [[(0, -10.4, 280.6, 50, 50)], [(0, -10.4, 280.6, 50, 50)]]
    [box] = consolidate_boxes(answers, WIDTH, HEIGHT)
    assert as_rows([box]) == [(0, 0, 281, 40, 19)]


def test_class_ties_are_broken_by_the_seed() -> None:
    answers = [[(0, 10, 10, 40, 40)], [(1, 10, 10, 40, 40)]]
    labels = {
        consolidate_boxes(answers, WIDTH, HEIGHT, seed=seed)[0].class_id for seed in range(20)
    }
    assert labels == {0, 1}
    repeat = consolidate_boxes(answers, WIDTH, HEIGHT, seed=3)
    assert repeat == consolidate_boxes(answers, WIDTH, HEIGHT, seed=3)
    assert repeat[0].confidence == 0.5


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ([(0, 1, 2, 3)], "worker 1: boxes must be rows"),
        ([(0, 1, 2, -3, 4)], "worker 1, box 0"),
        ([(0, 0, 0, 1, 1), (0.5, 1, 2, 3, 4)], "worker 1, box 1"),
        ([(0, float("nan"), 2, 3, 4)], "worker 1, box 0"),
    ],
)
def test_malformed_boxes_are_rejected_with_their_place(
    answer: list[tuple[float, ...]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        consolidate_boxes([[(0, 0, 0, 5, 5)], answer], WIDTH, HEIGHT)


def test_image_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="image size"):
        consolidate_boxes([[]], 0, 10)
