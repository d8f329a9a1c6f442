"""Job options, however they come (CLI, console, REST, SageMaker), are checked when the job is
created: a bad value is refused with a message, never stored to fail the job later."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.factories import make_job, make_team
from truthset.deployment import Deployment
from truthset.errors import Invalid
from truthset.job_requests import OPTIONS, JobRequest, build_spec


def request(**options: Any) -> JobRequest:
    return JobRequest(
        name="views",
        manifest="unused",
        output="unused",
        task_type="image-classification",
        team="radiologists",
        labels=["Left-CC", "Right-CC"],
        options=options,
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"gold_rate": 0.2}, "unknown job option 'gold_rate'"),
        ({"gold_ratio": "abc"}, "gold_ratio (the gold question share) must be between 0 and 1"),
        ({"gold_ratio": 1.5}, "must be between 0 and 1, got 1.5"),
        ({"gold_ratio": True}, "gold_ratio"),
        ({"max_human_labeled": 0}, "max_human_labeled must be a whole number between 1"),
        (
            {"max_percent_labeled": 101},
            "max_percent_labeled must be a whole number between 1 and 100",
        ),
        ({"max_percent_labeled": 50.5}, "max_percent_labeled"),
        ({"max_human_labeled": float("inf")}, "max_human_labeled"),
        ({"audit_label_attribute_name": 3}, "audit_label_attribute_name"),
        ({"auto_label": {"target": 0.9}}, "unknown auto_label setting 'target'"),
        ({"auto_label": {"target_accuracy": 1.0}}, "target accuracy must be at least 0.5"),
        ({"auto_label": {"features": "pixels"}}, "features must be auto, embedding or fallback"),
        ({"auto_label": {"initial_model_job": "nope"}}, "no labeling job named 'nope'"),
        ({"auto_label": {"initial_model_job": 7}}, "give the name of an earlier"),
    ],
)
def test_bad_options_are_refused_with_a_message(
    dep: Deployment, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(Invalid) as refused:
        build_spec(dep, request(**options))
    assert message in refused.value.message


def test_good_options_pass(dep: Deployment) -> None:
    make_team(dep, workers=0)
    make_job(dep, name="earlier", objects=1)
    options = {
        "gold_ratio": 0.25,
        "max_human_labeled": 10,
        "max_percent_labeled": 80,
        "auto_label": {
            "target_accuracy": 0.97,
            "features": "fallback",
            "initial_model_job": "EARLIER",
        },
    }
    _, spec = build_spec(dep, request(**options))
    assert spec.options == options


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(st.sampled_from([*OPTIONS, "other"]), JSON, max_size=4))
def test_any_options_are_accepted_or_refused_never_crash(
    dep: Deployment, options: dict[str, Any]
) -> None:
    try:
        _, spec = build_spec(dep, request(**options))
    except Invalid as refused:
        assert refused.message
        return
    ratio = spec.options.get("gold_ratio")
    assert ratio is None or 0 <= ratio <= 1
    assert "other" not in spec.options


@pytest.mark.parametrize(
    ("audited", "message"),
    [
        ("boxes-metadata", "must not end in '-metadata'"),
        ("source-ref", "is reserved"),
        ("boxes-ref", "must not end in '-ref' for bounding-box jobs"),
        ("bad name", "audited label attribute name"),
    ],
)
def test_the_audited_label_is_a_valid_label_attribute_name(
    dep: Deployment, audited: str, message: str
) -> None:
    audit = request(audit_label_attribute_name=audited)
    audit.task_type = "bounding-box-verification"
    with pytest.raises(Invalid) as refused:
        build_spec(dep, audit)
    assert message in refused.value.message
