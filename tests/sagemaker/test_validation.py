"""Bad input gets a ValidationException naming the field: every constraint of the API model that
botocore leaves to the server (maximums, patterns, enums), and truthset's own limits."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import botocore.exceptions
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.sagemaker.bad_requests import BAD_CALLS, BAD_JOBS, Mutation
from tests.sagemaker.conftest import Live, unique
from tests.sagemaker.job_requests import job_request, team
from truthset.web.sagemaker import OPERATIONS
from truthset.web.sagemaker.errors import ApiError
from truthset.web.sagemaker.shapes import _pattern, operation_model, validate


@pytest.mark.parametrize(
    ("mutate", "expected"), [c[1:] for c in BAD_JOBS], ids=[c[0] for c in BAD_JOBS]
)
def test_bad_create_requests_name_the_field(live: Live, mutate: Mutation, expected: str) -> None:
    request = copy.deepcopy(job_request(live, team(live)))
    mutate(request)
    sm = live.client()
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        sm.create_labeling_job(**request)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert expected in error["Message"]
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_labeling_job(LabelingJobName=request["LabelingJobName"][:63].replace("_", "-"))


def test_bad_data_is_named_too(live: Live) -> None:
    sm = live.client()
    workers = team(live)
    request = job_request(live, workers)
    missing = f"s3://{live.bucket}/{unique('none')}/in.manifest"
    request["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"] = missing
    with pytest.raises(
        botocore.exceptions.ClientError, match=f"cannot read {missing}: no such object"
    ):
        sm.create_labeling_job(**request)
    request = job_request(live, workers)
    bad_line = live.put(
        f"{unique('bad')}/in.manifest", '{"source-ref": "s3://b0b/x.png"}\n{"nope": 1}\n'
    )
    request["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"] = bad_line
    with pytest.raises(
        botocore.exceptions.ClientError, match="line 2: has no 'source-ref' attribute"
    ):
        sm.create_labeling_job(**request)
    request = job_request(live, workers)
    one = {"document-version": "2018-11-28", "labels": [{"label": "cat"}]}
    request["LabelCategoryConfigS3Uri"] = live.put(f"{unique('one')}/labels.json", json.dumps(one))
    with pytest.raises(botocore.exceptions.ClientError, match="needs at least 2 labels"):
        sm.create_labeling_job(**request)
    request = job_request(live, workers)
    broken = live.put(f"{unique('ui')}/ui.liquid", "{% if task.input %}never closed")
    request["HumanTaskConfig"]["UiConfig"] = {"UiTemplateS3Uri": broken}
    with pytest.raises(botocore.exceptions.ClientError, match="is not a valid Liquid template"):
        sm.create_labeling_job(**request)


@pytest.mark.parametrize(
    ("operation", "params", "expected"),
    BAD_CALLS,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_CALLS)],
)
def test_bad_calls_name_the_field(
    live: Live, operation: str, params: dict[str, Any], expected: str
) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        getattr(live.client(), operation)(**params)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert expected in caught.value.response["Error"]["Message"]


# --- the checker on its own ------------------------------------------------------------------


def test_every_pattern_of_the_supported_operations_compiles() -> None:
    seen: set[str] = set()

    def walk(shape: Any) -> None:
        if shape.name in seen:
            return
        seen.add(shape.name)
        if pattern := shape.metadata.get("pattern"):
            _pattern(pattern)
        for child in getattr(shape, "members", {}).values():
            walk(child)
        for attribute in ("member", "key", "value"):
            if hasattr(shape, attribute):
                walk(getattr(shape, attribute))

    for name in OPERATIONS:
        walk(operation_model(name).input_shape)
    assert len(seen) > 50


_JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")


@given(st.text(st.sampled_from("ab9-_ Z"), max_size=70))
def test_job_names_are_checked_like_aws(name: str) -> None:
    valid = 1 <= len(name) <= 63 and _JOB_NAME.fullmatch(name) is not None
    if valid:
        assert validate("DescribeLabelingJob", {"LabelingJobName": name}) == {
            "LabelingJobName": name
        }
    else:
        with pytest.raises(ApiError, match="LabelingJobName"):
            validate("DescribeLabelingJob", {"LabelingJobName": name})


@given(st.one_of(st.integers(), st.text(max_size=5), st.none(), st.booleans(), st.floats()))
def test_wrong_types_are_named(value: Any) -> None:
    params = {
        "WorkteamArn": "arn:aws:sagemaker:us-east-1:111122223333:workteam/private-crowd/t",
        "MaxResults": value,
    }
    if (
        isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 100
    ) or value is None:
        validate("ListLabelingJobsForWorkteam", params)
    else:
        with pytest.raises(ApiError, match="MaxResults must be"):
            validate("ListLabelingJobsForWorkteam", params)


def test_unknown_members_are_dropped_and_times_parsed() -> None:
    cleaned = validate(
        "ListLabelingJobs",
        {
            "Bogus": 1,
            "CreationTimeAfter": 1_700_000_000,
            "CreationTimeBefore": "2023-11-14T22:13:21Z",
        },
    )
    assert set(cleaned) == {"CreationTimeAfter", "CreationTimeBefore"}
    assert (cleaned["CreationTimeBefore"] - cleaned["CreationTimeAfter"]).total_seconds() == 1
    with pytest.raises(ApiError, match="CreationTimeAfter must be a timestamp"):
        validate("ListLabelingJobs", {"CreationTimeAfter": [1]})
    with pytest.raises(ApiError, match="must be a JSON object"):
        validate("ListLabelingJobs", [1])
    with pytest.raises(ApiError) as caught:
        validate("CreateWorkteam", {})
    assert caught.value.message == (
        "3 validation errors detected: WorkteamName is required; MemberDefinitions is required; "
        "Description is required"
    )
