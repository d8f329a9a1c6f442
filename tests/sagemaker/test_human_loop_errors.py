"""The errors Augmented AI gives, through boto3's sagemaker-a2i-runtime client: an unknown
flow, a loop name taken, InputContent not JSON or over the size limit, a stopped loop answered
late; and nothing is half-created. Also ListHumanLoops' filters, order and paging."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.sagemaker.a2i import a2i, failure, flow_request, signed_in, team_of, wait_for_loop
from tests.sagemaker.conftest import Live, unique
from truthset.background import leases
from truthset.review import flows
from truthset.review.loops import MAX_INPUT_CHARS


def _flow(live: Live, **human: object) -> tuple[str, str, list[str]]:
    team, emails = team_of(live)
    request = flow_request(live, team, **human)
    arn = live.client().create_flow_definition(**request)["FlowDefinitionArn"]
    return request["FlowDefinitionName"], arn, emails


def _start(live: Live, arn: str, name: str, content: str) -> str:
    return a2i(live).start_human_loop(  # type: ignore[no-any-return]
        HumanLoopName=name, FlowDefinitionArn=arn, HumanLoopInput={"InputContent": content}
    )["HumanLoopArn"]


def _names(live: Live, arn: str, **filters: object) -> list[str]:
    runtime = a2i(live)
    return [
        summary["HumanLoopName"]
        for page in runtime.get_paginator("list_human_loops").paginate(
            FlowDefinitionArn=arn, **filters
        )
        for summary in page["HumanLoopSummaries"]
    ]


def test_bad_starts_get_a2is_errors_and_create_nothing(live: Live) -> None:
    runtime = a2i(live)
    _flow_name, arn, _ = _flow(live)
    unknown = arn.rsplit("/", 1)[0] + "/no-such-flow"
    name = unique("loop")
    cases = [
        (unknown, '{"a": 1}', (400, "ValidationException"), "no flow definition"),
        (arn, "not json", (400, "ValidationException"), "not valid JSON"),
        (arn, "[1, 2]", (400, "ValidationException"), "JSON object"),
        (
            arn,
            json.dumps({"text": "x" * MAX_INPUT_CHARS}),
            (400, "ValidationException"),
            "at most 3145728 characters",
        ),
    ]
    for flow_arn, content, expected, words in cases:
        status, code, message = failure(
            lambda f=flow_arn, c=content: _start(live, f, name, c)  # type: ignore[misc]
        )
        assert (status, code) == expected and words in message, message
    assert failure(lambda: runtime.describe_human_loop(HumanLoopName=name))[:2] == (
        404,
        "ResourceNotFoundException",
    )
    assert _names(live, arn) == []

    first = _start(live, arn, name, '{"a": 1}')
    # The same name and input again is a retry: the same loop, not a second one.
    assert _start(live, arn, name, '{ "a" : 1 }') == first
    status, code, _ = failure(lambda: _start(live, arn, name, '{"a": 2}'))
    assert (status, code) == (409, "ConflictException")
    _, other_arn, _ = _flow(live)
    assert failure(lambda: _start(live, other_arn, name, '{"a": 1}'))[1] == "ConflictException"
    assert _names(live, arn) == [name] and _names(live, other_arn) == []
    assert failure(lambda: runtime.list_human_loops(FlowDefinitionArn=unknown))[:2] == (
        404,
        "ResourceNotFoundException",
    )


def test_a_stopped_loop_answered_late(live: Live) -> None:
    """StopHumanLoop as A2I does it: the loop is Stopping at once, then the background runner
    ends its tasks and sets it Stopped; an answer after that is refused and the loop goes."""
    runtime = a2i(live)
    flow, arn, emails = _flow(live)
    name = unique("loop")
    _start(live, arn, name, '{"text": "hello"}')
    job_id = flows.get_flow(live.dep, flow).job_id
    with signed_in(live, emails) as (early, late):
        task = early.next_task(flow)
        assert task is not None
        status, code, _ = failure(lambda: runtime.delete_human_loop(HumanLoopName=name))
        assert (status, code) == (400, "ValidationException")  # only ended loops go
        status, code, _ = failure(
            lambda: live.client().delete_flow_definition(FlowDefinitionName=flow)
        )
        assert code == "ResourceInUse"
        # Holding the job's runner lease, as a runner busy elsewhere does, shows the stop
        # half-way: the server's runner cannot end the loop until the lease is given back.
        holder = leases.new_owner("test")
        assert leases.acquire(live.dep, job_id, holder)
        try:
            assert (
                runtime.stop_human_loop(HumanLoopName=name)["ResponseMetadata"]["HTTPStatusCode"]
                == 200
            )
            described = runtime.describe_human_loop(HumanLoopName=name)
            assert described["HumanLoopStatus"] == "Stopping"
            assert "HumanLoopOutput" not in described and "FailureReason" not in described
            listed = runtime.list_human_loops(FlowDefinitionArn=arn)["HumanLoopSummaries"]
            assert [(s["HumanLoopName"], s["HumanLoopStatus"]) for s in listed] == [
                (name, "Stopping")
            ]
            # Neither stopped twice nor deleted while stopping.
            assert failure(lambda: runtime.stop_human_loop(HumanLoopName=name))[:2] == (
                400,
                "ValidationException",
            )
            assert failure(lambda: runtime.delete_human_loop(HumanLoopName=name))[:2] == (
                400,
                "ValidationException",
            )
        finally:
            leases.release(live.dep, job_id, holder)
        stopped = wait_for_loop(runtime, name, "Stopped")
        assert "HumanLoopOutput" not in stopped
        # The runner ended the lease and took the object out of circulation.
        assert early.answer(task["task_id"], {"ok": {"on": True}}) == 410
        assert late.next_task(flow) is None and early.next_task(flow) is None
    assert failure(lambda: runtime.stop_human_loop(HumanLoopName=name))[1] == "ValidationException"
    runtime.delete_human_loop(HumanLoopName=name)
    assert failure(lambda: runtime.describe_human_loop(HumanLoopName=name))[1] == (
        "ResourceNotFoundException"
    )
    assert failure(lambda: runtime.delete_human_loop(HumanLoopName=name))[1] == (
        "ResourceNotFoundException"
    )
    live.client().delete_flow_definition(FlowDefinitionName=flow)


def test_a_loop_whose_answers_are_in_before_the_stop_ends_completes(live: Live) -> None:
    """Both answers in while the loop is Stopping (the runner had not got to it): A2I keeps
    the results of tasks finished while stopping, so the loop completes with its output."""
    runtime = a2i(live)
    flow, arn, emails = _flow(live)
    name = unique("loop")
    _start(live, arn, name, '{"text": "hello"}')
    job_id = flows.get_flow(live.dep, flow).job_id
    with signed_in(live, emails) as workers:
        tasks = [worker.next_task(flow) for worker in workers]
        holder = leases.new_owner("test")
        assert leases.acquire(live.dep, job_id, holder)
        try:
            runtime.stop_human_loop(HumanLoopName=name)
            for worker, task in zip(workers, tasks, strict=True):
                assert task is not None
                assert worker.answer(task["task_id"], {"ok": {"on": True}}) == 204
            assert runtime.describe_human_loop(HumanLoopName=name)["HumanLoopStatus"] == (
                "Stopping"
            )
        finally:
            leases.release(live.dep, job_id, holder)
    completed = wait_for_loop(runtime, name, "Completed")
    uri = completed["HumanLoopOutput"]["OutputS3Uri"]
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    document = json.loads(live.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert document["humanLoopName"] == name and len(document["humanAnswers"]) == 2


def test_list_human_loops_filters_sorts_and_pages(live: Live) -> None:
    runtime = a2i(live)
    _flow_name, arn, _ = _flow(live)
    names = [unique(f"loop{i}") for i in range(5)]
    for i, name in enumerate(names):
        _start(live, arn, name, json.dumps({"n": i}))
    paged = _names(live, arn, SortOrder="Ascending", PaginationConfig={"PageSize": 2})
    assert paged == names
    assert _names(live, arn) == names[::-1]  # newest first by default
    first = runtime.list_human_loops(FlowDefinitionArn=arn, MaxResults=2)
    assert len(first["HumanLoopSummaries"]) == 2 and first["NextToken"]
    summary = first["HumanLoopSummaries"][0]
    assert summary["HumanLoopStatus"] == "InProgress" and summary["FlowDefinitionArn"] == arn
    created = [runtime.describe_human_loop(HumanLoopName=name)["CreationTime"] for name in names]
    before = created[0] + timedelta(microseconds=1)
    assert _names(live, arn, CreationTimeBefore=before) == names[:1]
    after = created[-1] - timedelta(seconds=3600)
    assert set(_names(live, arn, CreationTimeAfter=after)) == set(names)
    status, code, _ = failure(
        lambda: runtime.list_human_loops(FlowDefinitionArn=arn, NextToken="forged")
    )
    assert (status, code) == (400, "ValidationException")
