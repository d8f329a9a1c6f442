"""What an SQS message of a streaming job's queue brings: any body at all is either objects or a
refusal with a reason (Invalid), never another error, so the runner can count every refused
message instead of losing it."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from truthset.errors import Invalid
from truthset.intake.objects import Arrival
from truthset.intake.sqs import arrivals_of

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _outcome(body: str) -> list[Arrival] | str:
    try:
        return arrivals_of(body, "sqs-id")
    except Invalid as error:
        assert error.message
        return error.message


@given(st.text())
def test_any_text_is_objects_or_a_reason(body: str) -> None:
    outcome = _outcome(body)
    assert isinstance(outcome, str) or all(isinstance(a.line, dict) for a in outcome)


@given(_json, st.booleans())
def test_any_json_raw_or_in_an_sns_envelope_is_objects_or_a_reason(
    value: Any, wrapped: bool
) -> None:
    text = json.dumps(value)
    body = (
        json.dumps({"Type": "Notification", "MessageId": "m", "Message": text}) if wrapped else text
    )
    outcome = _outcome(body)
    if isinstance(outcome, str):
        return
    for arrival in outcome:
        assert isinstance(arrival.line, dict)
        assert arrival.default_id is not None


# S3 event records of every shape, well-formed or not: the runner met them from any sender.
_s3_record = st.fixed_dictionaries(
    {"eventSource": st.just("aws:s3"), "eventName": st.just("ObjectCreated:Put")},
    optional={
        "s3": _json
        | st.fixed_dictionaries(
            {},
            optional={
                "bucket": _json | st.fixed_dictionaries({}, optional={"name": _json}),
                "object": _json
                | st.fixed_dictionaries({}, optional={"key": _json, "sequencer": _json}),
            },
        )
    },
)


@given(st.lists(_json | _s3_record, max_size=4))
def test_any_s3_records_are_objects_or_a_reason(records: list[Any]) -> None:
    outcome = _outcome(json.dumps({"Records": records}))
    assert isinstance(outcome, str) or all("source-ref" in a.line for a in outcome)
