"""Named-entity span consolidation: clustering, boundaries, labels, confidence, invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from truthset.consolidation.spans import ConsolidatedEntity, consolidate_spans

Span = tuple[str, int, int]
LABELS = ["Date", "Person", "Thing"]


@st.composite
def span_lists(draw: st.DrawFn, max_spans: int = 6) -> list[Span]:
    spans = []
    for _ in range(draw(st.integers(0, max_spans))):
        start = draw(st.integers(0, 200))
        spans.append((draw(st.sampled_from(LABELS)), start, start + draw(st.integers(1, 30))))
    return spans


def as_spans(entities: list[ConsolidatedEntity]) -> list[Span]:
    return [(e.label, e.start, e.end) for e in entities]


@settings(deadline=None)
@given(span_lists(), st.integers(1, 5))
def test_identical_answers_give_back_the_spans_with_confidence_one(
    answer: list[Span], n_workers: int
) -> None:
    result = consolidate_spans([answer] * n_workers)
    assert as_spans(result) == sorted(set(answer), key=lambda s: (s[1], s[2], s[0]))
    assert all(e.confidence == 1.0 and e.support == n_workers for e in result)


@settings(max_examples=50, deadline=None)
@given(st.lists(span_lists(max_spans=4), min_size=1, max_size=5), st.data())
def test_permuting_workers_and_their_spans_changes_nothing(
    answers: list[list[Span]], data: st.DataObject
) -> None:
    shuffled = [data.draw(st.permutations(a)) for a in data.draw(st.permutations(answers))]
    for min_share in (0.5, 0.0):
        assert consolidate_spans(shuffled, min_share=min_share) == consolidate_spans(
            answers, min_share=min_share
        )


@settings(max_examples=50, deadline=None)
@given(st.lists(span_lists(max_spans=4), min_size=1, max_size=5))
def test_output_is_sorted_by_start_end_label(answers: list[list[Span]]) -> None:
    result = as_spans(consolidate_spans(answers, min_share=0.0))
    assert result == sorted(result, key=lambda s: (s[1], s[2], s[0]))
    assert all(0 <= start < end for _, start, end in result)


def test_disjoint_answers_are_never_merged() -> None:
    answers = [[("Thing", 0, 10), ("Date", 20, 25)], [("Thing", 10, 20), ("Date", 25, 30)]]
    result = consolidate_spans(answers, min_share=0.0)
    assert as_spans(result) == [
        ("Thing", 0, 10),
        ("Thing", 10, 20),
        ("Date", 20, 25),
        ("Date", 25, 30),
    ]
    assert all(e.confidence == 0.5 for e in result)


def test_no_answers_and_empty_answers() -> None:
    assert consolidate_spans([]) == []
    assert consolidate_spans([[], []]) == []
    # A span one worker of three marked is not enough.
    assert consolidate_spans([[("Thing", 0, 4)], [], []]) == []


def test_one_worker_keeps_everything_with_confidence_one() -> None:
    answer = [("Thing", 22, 53), ("Date", 75, 88), ("Thing", 22, 30)]
    result = consolidate_spans([answer])
    assert as_spans(result) == [("Thing", 22, 30), ("Thing", 22, 53), ("Date", 75, 88)]
    assert {e.confidence for e in result} == {1.0}


def test_boundaries_take_the_clear_mode() -> None:
    answers = [[("Thing", 0, 10)], [("Thing", 0, 12)], [("Thing", 2, 10)]]
    [entity] = consolidate_spans(answers)
    assert (entity.start, entity.end) == (0, 10)


def test_boundaries_fall_back_to_the_median_without_a_clear_mode() -> None:
    answers = [[("Thing", 0, 10)], [("Thing", 2, 11)], [("Thing", 4, 13)]]
    [entity] = consolidate_spans(answers)
    assert (entity.start, entity.end) == (2, 11)


def test_even_split_takes_the_wider_middle_values() -> None:
    answers = [[("Thing", 0, 10)], [("Thing", 2, 11)], [("Thing", 4, 13)], [("Thing", 6, 15)]]
    [entity] = consolidate_spans(answers)
    assert (entity.start, entity.end) == (2, 13)


def test_two_modes_of_equal_count_are_not_clear() -> None:
    answers = [[("Thing", 0, 10)], [("Thing", 0, 10)], [("Thing", 3, 12)], [("Thing", 3, 12)]]
    [entity] = consolidate_spans(answers)
    assert (entity.start, entity.end) == (0, 12)


def test_label_is_the_majority_and_confidence_counts_label_and_overlap() -> None:
    answers = [[("Person", 0, 10)], [("Person", 0, 10)], [("Thing", 0, 8)]]
    [entity] = consolidate_spans(answers)
    assert as_spans([entity]) == [("Person", 0, 10)]
    assert entity.support == 3
    assert entity.confidence == pytest.approx(2 / 3 * (1 + 1 + 0.8) / 3)


def test_label_ties_are_broken_by_the_seed() -> None:
    answers = [[("Person", 0, 10)], [("Thing", 0, 10)]]
    labels = {consolidate_spans(answers, seed=seed)[0].label for seed in range(20)}
    assert labels == {"Person", "Thing"}
    assert consolidate_spans(answers, seed=7) == consolidate_spans(answers, seed=7)


def test_one_range_with_two_labels_from_each_worker_stays_two_entities() -> None:
    answer = [("Person", 0, 10), ("Thing", 0, 10)]
    result = consolidate_spans([answer, list(reversed(answer)), answer])
    assert as_spans(result) == [("Person", 0, 10), ("Thing", 0, 10)]
    assert {e.confidence for e in result} == {1.0}


def test_overlapping_spans_of_one_worker_stay_separate() -> None:
    answer = [("Thing", 0, 10), ("Thing", 5, 15)]
    assert as_spans(consolidate_spans([answer, answer])) == answer


def test_a_one_word_boundary_shift_still_matches() -> None:
    # "Barack Obama" vs "Obama": Jaccard 5/12.
    answers = [[("Person", 0, 12)], [("Person", 7, 12)], [("Person", 0, 12)]]
    [entity] = consolidate_spans(answers)
    assert (entity.start, entity.end, entity.support) == (0, 12, 3)


def test_duplicate_spans_of_one_worker_count_once() -> None:
    result = consolidate_spans([[("Thing", 0, 4), ("Thing", 0, 4)], [("Thing", 0, 4)]])
    assert as_spans(result) == [("Thing", 0, 4)]
    assert result[0].confidence == 1.0


@pytest.mark.parametrize(
    ("span", "message"),
    [
        (("Thing", 5, 5), "worker 1, entity 0: need 0 <= startOffset < endOffset"),
        (("Thing", -1, 5), "worker 1, entity 0"),
        (("", 0, 5), "label must be a non-empty string"),
        (("Thing", 0.5, 5), "offsets must be integers"),
    ],
)
def test_malformed_spans_are_rejected_with_their_place(span: Span, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        consolidate_spans([[("Thing", 0, 4)], [span]])
