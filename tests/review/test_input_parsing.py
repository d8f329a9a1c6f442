"""InputContent parsing, property-tested: a JSON object of any shape is taken as it is; anything
else is refused with Invalid (never another exception), and the size limit holds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from truthset.errors import Invalid
from truthset.review.loops import MAX_INPUT_CHARS, parse_input

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=8,
)


# Generation is slow on a machine whose cores are shared; the test itself is fast.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@RELAXED
@given(st.dictionaries(st.text(max_size=20), JSON, max_size=4))
def test_objects_are_taken_as_they_are(value: dict[str, Any]) -> None:
    assert parse_input(json.dumps(value)) == value


@RELAXED
@given(JSON.filter(lambda v: not isinstance(v, dict)))
def test_other_json_is_refused(value: Any) -> None:
    with pytest.raises(Invalid, match="JSON object"):
        parse_input(json.dumps(value))


@RELAXED
@given(st.text())
def test_any_text_is_taken_or_refused_with_invalid(text: str) -> None:
    try:
        assert isinstance(parse_input(text), dict)
    except Invalid as error:
        assert "InputContent" in error.message


def test_the_size_limit() -> None:
    padding = MAX_INPUT_CHARS - len('{"x": ""}')
    assert parse_input(json.dumps({"x": "a" * padding}))
    with pytest.raises(Invalid, match="limit is 3145728"):
        parse_input(json.dumps({"x": "a" * (padding + 1)}))
