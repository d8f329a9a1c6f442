"""Hook responses: Ground Truth's documented shapes are taken; anything else is a BadResponse
with a reason, never another exception."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from truthset.hooks.events import BadResponse, parse_post, parse_pre
from truthset.hooks.gold import parse_score

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON)
def test_any_pre_response_is_taken_or_refused_with_a_reason(value: Any) -> None:
    try:
        parse_pre(value)
    except BadResponse as error:
        assert str(error)


@given(JSON)
def test_any_post_response_is_taken_or_refused_with_a_reason(value: Any) -> None:
    try:
        parse_post(value, "label", {0, 1})
    except BadResponse as error:
        assert str(error)


@pytest.mark.parametrize(
    ("flag", "required"),
    [
        ({}, True),
        ({"isHumanAnnotationRequired": False}, False),
        ({"isHumanAnnotationRequired": "false"}, False),
        ({"humanAnnotationRequired": "true"}, True),
        ({"humanAnnotationRequired": "false"}, False),
    ],
)
def test_the_human_annotation_flag_is_read_in_every_spelling_aws_uses(
    flag: dict[str, Any], required: bool
) -> None:
    answer = parse_pre({"taskInput": {"taskObject": "s3://b/k.jpg"}, **flag})
    assert answer.human_required is required
    assert answer.task_input == '{"taskObject": "s3://b/k.jpg"}'


def test_a_post_response_gives_labels_and_names_what_is_missing() -> None:
    response = [
        {"datasetObjectId": "0", "consolidatedAnnotation": {"content": {"label": {"v": 1}}}},
        {"datasetObjectId": "1", "consolidatedAnnotation": {"content": {"other": 2}}},
        {"datasetObjectId": "7", "consolidatedAnnotation": {"content": {"label": 3}}},
    ]
    labels, problems = parse_post(response, "label", {0, 1, 2})
    assert labels == {0: {"v": 1}}
    assert problems == {1: "response[1].consolidatedAnnotation.content has no 'label'"}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "must be an object"),
        ({"taskinput": {}}, 'has no "taskInput"'),
        ({"taskInput": {}, "isHumanAnnotationRequired": "maybe"}, "must be true or false"),
    ],
)
def test_bad_pre_responses_say_what_is_wrong(value: Any, reason: str) -> None:
    with pytest.raises(BadResponse, match=reason):
        parse_pre(value)


@given(JSON | st.dictionaries(st.just("score"), JSON | st.floats(), min_size=1))
def test_any_gold_response_is_a_score_from_0_to_1_or_refused_with_a_reason(value: Any) -> None:
    try:
        score = parse_score(value)
    except BadResponse as error:
        assert str(error)
    else:
        assert 0.0 <= score <= 1.0 and score == value["score"]
