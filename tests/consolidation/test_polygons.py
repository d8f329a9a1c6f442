"""Polygon consolidation: rasterised IoU, medoid, confidence, invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from truthset.consolidation.polygons import (
    ConsolidatedPolygon,
    consolidate_polygons,
    polygon_iou,
)

Vertices = list[tuple[float, float]]
Polygon = tuple[str, Vertices]


def square(x: float, y: float, side: float) -> Vertices:
    return [(x, y), (x + side, y), (x + side, y + side), (x, y + side)]


@st.composite
def polygon_lists(draw: st.DrawFn, max_polygons: int = 4) -> list[Polygon]:
    polygons = []
    for _ in range(draw(st.integers(0, max_polygons))):
        x, y = draw(st.integers(0, 300)), draw(st.integers(0, 300))
        side = draw(st.integers(5, 100))
        # A square, or a triangle cut from it.
        vertices = square(x, y, side)[: draw(st.sampled_from([3, 4]))]
        polygons.append((draw(st.sampled_from(["roof", "tree"])), vertices))
    return polygons


def as_polygons(result: list[ConsolidatedPolygon]) -> list[tuple[str, Vertices]]:
    return [(p.label, [tuple(v) for v in p.vertices]) for p in result]  # type: ignore[misc]


@settings(max_examples=40, deadline=None)
@given(polygon_lists(), st.integers(1, 4))
def test_identical_answers_give_back_the_polygons_with_confidence_one(
    answer: list[Polygon], n: int
) -> None:
    result = consolidate_polygons([answer] * n)
    assert sorted(map(repr, as_polygons(result))) == sorted(
        repr((label, [(float(x), float(y)) for x, y in vertices])) for label, vertices in answer
    )
    assert all(p.confidence == 1.0 and p.support == n for p in result)


@settings(max_examples=40, deadline=None)
@given(st.lists(polygon_lists(max_polygons=3), min_size=1, max_size=4), st.data())
def test_permuting_workers_and_their_polygons_changes_nothing(
    answers: list[list[Polygon]], data: st.DataObject
) -> None:
    shuffled = [data.draw(st.permutations(a)) for a in data.draw(st.permutations(answers))]
    assert consolidate_polygons(shuffled, min_share=0.0) == consolidate_polygons(
        answers, min_share=0.0
    )


def test_iou_is_close_to_the_exact_value() -> None:
    assert polygon_iou(tuple(square(0, 0, 10)), tuple(square(5, 0, 10))) == pytest.approx(
        1 / 3, abs=0.01
    )
    triangle = ((0.0, 0.0), (10.0, 0.0), (0.0, 10.0))
    assert polygon_iou(tuple(square(0, 0, 10)), triangle) == pytest.approx(0.5, abs=0.01)
    thin = ((0.0, 0.0), (100.0, 0.0), (100.0, 3.0), (0.0, 3.0))
    shifted = ((0.0, 1.0), (100.0, 1.0), (100.0, 4.0), (0.0, 4.0))
    assert polygon_iou(thin, shifted) == pytest.approx(0.5, abs=0.01)


def test_disjoint_polygons_are_never_merged() -> None:
    answers = [[("roof", square(0, 0, 10))], [("roof", square(10, 0, 10))]]
    result = consolidate_polygons(answers, min_share=0.0)
    assert len(result) == 2 and all(p.support == 1 for p in result)


def test_the_medoid_is_chosen_and_the_majority_label() -> None:
    answers = [
        [("roof", square(0, 0, 100))],
        [("roof", square(5, 0, 100))],
        [("tree", square(-5, 0, 100))],
    ]
    [polygon] = consolidate_polygons(answers)
    assert as_polygons([polygon]) == [
        ("roof", [(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)])
    ]
    iou_5 = 95 / 105
    assert polygon.confidence == pytest.approx(2 / 3 * (1 + 2 * iou_5) / 3, abs=0.01)


def test_polygon_drawn_by_too_few_workers_is_dropped() -> None:
    answers = [
        [("roof", square(0, 0, 50))],
        [("roof", square(0, 0, 50))],
        [("tree", square(200, 200, 20))],
    ]
    assert [p.label for p in consolidate_polygons(answers)] == ["roof"]


def test_empty_answers() -> None:
    assert consolidate_polygons([]) == []
    assert consolidate_polygons([[], []]) == []


@pytest.mark.parametrize(
    ("polygon", "message"),
    [
        (("roof", [(0, 0), (1, 1)]), "at least 3 vertices"),
        (("", square(0, 0, 1)), "non-empty string"),
        (("roof", [(0, 0), (1, float("inf")), (2, 0)]), "finite"),
    ],
)
def test_malformed_polygons_are_rejected_with_their_place(polygon: Polygon, message: str) -> None:
    with pytest.raises(ValueError, match=f"worker 1, polygon 0: .*{message}"):
        consolidate_polygons([[("roof", square(0, 0, 5))], [polygon]])
