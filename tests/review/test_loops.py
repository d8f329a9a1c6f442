"""Human loops in the domain, with a clock moved by hand: the availability lifetime counted from
the loop's start, loops completed with the answers they got, consolidated answers when
workers disagree, and worker quality over a flow's job."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.support.factories import make_team
from truthset import dispatch, quality, task_uis
from truthset.background.runner import run_job
from truthset.clock import ManualClock
from truthset.db.tables import Annotation, Job
from truthset.deployment import Deployment
from truthset.errors import Conflict, Gone, Invalid
from truthset.review import flows, loops
from truthset.review.results import consolidated
from truthset.tasktypes.base import WorkerAnswer
from truthset.workforce import UserInfo

TEMPLATE = "<crowd-form><p>{{ task.input.text }}</p><input name='verdict'></crowd-form>"


@pytest.fixture
def people(dep: Deployment) -> list[UserInfo]:
    return make_team(dep, "radiologists", workers=3)


@pytest.fixture
def flow(dep: Deployment, people: list[UserInfo]) -> flows.FlowInfo:
    task_uis.create_task_ui(dep, "verdict-ui", TEMPLATE)
    return flows.create_flow(
        dep,
        flows.FlowRequest(
            name="verdicts",
            team="radiologists",
            task_ui="verdict-ui",
            task_count=2,
            title="Check",
            description="Is it right?",
            output_path=str(dep.settings.data_dir.resolve() / "a2i"),
            time_limit=60,
            availability=600,
        ),
    )


def _step(dep: Deployment, flow: flows.FlowInfo) -> None:
    assert run_job(dep, flow.job_id, "test-runner")


def _answer(dep: Deployment, person: UserInfo, verdict: str) -> None:
    task = dispatch.next_task(dep, person, "verdicts")
    assert task is not None
    dispatch.submit_answer(dep, person, task.task_id, {"verdict": verdict})


def _output(info: loops.LoopInfo) -> dict[str, Any]:
    assert info.output_uri is not None
    return json.loads(Path(info.output_uri).read_text())  # type: ignore[no-any-return]


def test_a_loop_nobody_took_fails_and_one_answer_completes(
    dep: Deployment, clock: ManualClock, flow: flows.FlowInfo, people: list[UserInfo]
) -> None:
    loops.start_loop(dep, "verdicts", "answered-once", '{"text": "b"}')
    _answer(dep, people[0], "yes")
    loops.start_loop(dep, "verdicts", "untouched", '{"text": "a"}')
    clock.advance(600)
    assert dispatch.next_task(dep, people[1], "verdicts") is not None  # leased, never answered
    _step(dep, flow)
    untouched = loops.describe_loop(dep, "untouched")
    assert untouched.status == "Failed" and untouched.output_uri is None
    assert untouched.failure_reason == "no worker answered within the task availability lifetime"
    once = loops.describe_loop(dep, "answered-once")
    assert once.status == "Completed"
    output = _output(once)
    assert [a["answerContent"] for a in output["humanAnswers"]] == [{"verdict": "yes"}]
    assert output["consolidatedAnswer"]["confidence"] == 0.0  # one worker: Ground Truth's rule
    assert "/verdicts/2026/11/25/09/00/00/answered-once/output.json" in str(once.output_uri)


def test_disagreeing_workers_and_quality(
    dep: Deployment, flow: flows.FlowInfo, people: list[UserInfo]
) -> None:
    for i in range(3):
        loops.start_loop(dep, "verdicts", f"loop-{i}", json.dumps({"text": str(i)}))
    for person, verdicts in zip(people[:2], (["yes"] * 3, ["yes", "no", "yes"]), strict=True):
        for verdict in verdicts:
            _answer(dep, person, verdict)
    _step(dep, flow)
    split = _output(loops.describe_loop(dep, "loop-1"))["consolidatedAnswer"]
    assert split["method"] == "bayes-ds" and split["agreeingWorkers"] == 1
    assert split["answerContent"] in ({"verdict": "yes"}, {"verdict": "no"})
    assert 0.0 < split["confidence"] < 1.0
    agreed = _output(loops.describe_loop(dep, "loop-0"))["consolidatedAnswer"]
    assert agreed["answerContent"] == {"verdict": "yes"} and agreed["agreeingWorkers"] == 2
    assert agreed["confidence"] > split["confidence"]
    report = quality.job_quality(dep, "verdicts")
    assert sorted(w.answers for w in report.workers) == [3, 3]


def test_free_text_is_not_consolidated() -> None:
    from datetime import datetime

    moment = datetime(2026, 1, 1)
    long_text = [
        WorkerAnswer(str(i), i, {"transcript": "word " * 300}, moment, moment) for i in range(2)
    ]
    assert consolidated(long_text) is None
    other_fields = [
        WorkerAnswer("a", 1, {"x": 1}, moment, moment),
        WorkerAnswer("b", 2, {"y": 1}, moment, moment),
    ]
    assert consolidated(other_fields) is None


def test_flow_and_loop_rules(dep: Deployment, flow: flows.FlowInfo, people: list[UserInfo]) -> None:
    with pytest.raises(Conflict):
        flows.create_flow(dep, flows.FlowRequest(**{**vars_of(flow), "name": "verdicts"}))
    with pytest.raises(Invalid):
        flows.create_flow(dep, flows.FlowRequest(**{**vars_of(flow), "name": "Upper-Case"}))
    with pytest.raises(Invalid):
        loops.start_loop(dep, "verdicts", "Upper-Case", "{}")
    loops.start_loop(dep, "verdicts", "one", "{}")
    with pytest.raises(Conflict):
        flows.delete_flow(dep, "verdicts")
    assert loops.stop_loop(dep, "one").status == "Stopping"
    with pytest.raises(Conflict):
        flows.delete_flow(dep, "verdicts")  # the runner has not ended the loop yet
    _step(dep, flow)
    assert loops.describe_loop(dep, "one").status == "Stopped"
    flows.delete_flow(dep, "verdicts")
    assert flows.list_flows(dep) == []


def test_a_stopping_loop_ends_on_the_runners_pass(
    dep: Deployment, flow: flows.FlowInfo, people: list[UserInfo]
) -> None:
    """Stopping at once; the runner's pass ends the leases, takes the object out of circulation
    (the job's window place is given back) and sets Stopped. An answer given while the loop was
    Stopping is kept (it was acknowledged) but writes no output."""
    loops.start_loop(dep, "verdicts", "halted", '{"text": "a"}')
    first = dispatch.next_task(dep, people[0], "verdicts")
    second = dispatch.next_task(dep, people[1], "verdicts")
    assert first is not None and second is not None
    assert loops.stop_loop(dep, "halted").status == "Stopping"
    with pytest.raises(Invalid):
        loops.stop_loop(dep, "halted")
    with pytest.raises(Invalid):
        loops.delete_loop(dep, "halted")
    dispatch.submit_answer(dep, people[0], first.task_id, {"verdict": "yes"})
    _step(dep, flow)
    halted = loops.describe_loop(dep, "halted")
    assert halted.status == "Stopped" and halted.output_uri is None
    with pytest.raises(Gone):
        dispatch.submit_answer(dep, people[1], second.task_id, {"verdict": "no"})
    assert dispatch.next_task(dep, people[2], "verdicts") is None
    with dep.db.read() as conn:
        job = conn.execute(select(Job.open_count).where(Job.id == flow.job_id)).one()
        kept = conn.scalar(select(func.count()).select_from(Annotation))
    assert job.open_count == 0 and kept == 1
    # The window place came back: a new loop goes out at once.
    loops.start_loop(dep, "verdicts", "next", '{"text": "b"}')
    assert dispatch.next_task(dep, people[2], "verdicts") is not None


def vars_of(flow: flows.FlowInfo) -> dict[str, Any]:
    return {
        "name": flow.name,
        "team": flow.team,
        "task_ui": flow.task_ui,
        "task_count": flow.task_count,
        "title": flow.title,
        "description": flow.description,
        "output_path": flow.output_path,
    }


def test_concurrent_starts_of_one_name_make_one_loop(
    dep: Deployment, flow: flows.FlowInfo, people: list[UserInfo]
) -> None:
    """Retries racing each other (PostgreSQL runs them side by side): one loop, one object,
    and every caller is told of the same loop."""
    content = '{"text": "same"}'
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda _: loops.start_loop(dep, "verdicts", "raced", content), range(16))
        )
    assert sum(result.created for result in results) == 1
    assert {result.name for result in results} == {"raced"}
    assert len(loops.list_loops(dep, "verdicts").loops) == 1
    assert dispatch.next_task(dep, people[0], "verdicts") is not None
    assert dispatch.next_task(dep, people[0], "verdicts") is None
    with ThreadPoolExecutor(max_workers=8) as pool:
        started = list(
            pool.map(
                lambda i: loops.start_loop(dep, "verdicts", f"many-{i}", json.dumps({"i": i})),
                range(40),
            )
        )
    assert all(result.created for result in started)
    seen = set()
    while (task := dispatch.next_task(dep, people[1], "verdicts")) is not None:
        seen.add(json.loads(task.line).get("i"))
        dispatch.submit_answer(dep, people[1], task.task_id, {"verdict": "ok"})
    assert seen == {None, *range(40)}  # every loop exactly once, with its own object


def test_a_reliable_worker_wins_a_split(
    dep: Deployment, flow: flows.FlowInfo, people: list[UserInfo]
) -> None:
    """Two workers disagree on the last loop: Dawid-Skene over the flow's answers sides with the
    one who agreed with the third worker on every earlier loop, against the one who never did."""
    reliable, careless, third = people
    verdicts = ["yes", "no"] * 3
    for i in range(len(verdicts)):
        loops.start_loop(dep, "verdicts", f"a-{i}", json.dumps({"text": f"a{i}"}))
    for verdict in verdicts:
        _answer(dep, reliable, verdict)
        _answer(dep, third, verdict)
    for i in range(len(verdicts)):
        loops.start_loop(dep, "verdicts", f"b-{i}", json.dumps({"text": f"b{i}"}))
    for verdict in verdicts:
        _answer(dep, careless, "no" if verdict == "yes" else "yes")
        _answer(dep, third, verdict)
    loops.start_loop(dep, "verdicts", "split", '{"text": "last"}')
    _answer(dep, reliable, "no")
    _answer(dep, careless, "yes")
    _step(dep, flow)
    decided = _output(loops.describe_loop(dep, "split"))["consolidatedAnswer"]
    assert decided["answerContent"] == {"verdict": "no"} and decided["method"] == "bayes-ds"
    assert decided["confidence"] > 0.5


def test_a_loop_whose_output_cannot_be_written_fails_after_retries(
    dep: Deployment, flow: flows.FlowInfo, people: list[UserInfo]
) -> None:
    # A file where the flow's output folder should be: every write under it fails.
    Path(flow.output_path).parent.mkdir(parents=True, exist_ok=True)
    Path(flow.output_path).write_text("not a folder")
    loops.start_loop(dep, "verdicts", "blocked", '{"text": "a"}')
    _answer(dep, people[0], "yes")
    _answer(dep, people[1], "yes")
    for _ in range(2):
        _step(dep, flow)
        assert loops.describe_loop(dep, "blocked").status == "InProgress"  # tried again later
    _step(dep, flow)
    failed = loops.describe_loop(dep, "blocked")
    assert failed.status == "Failed" and failed.output_uri is None
    assert failed.failure_reason is not None and "output not written" in failed.failure_reason


def test_a_loop_every_worker_declined_fails(
    dep: Deployment, flow: flows.FlowInfo, people: list[UserInfo]
) -> None:
    loops.start_loop(dep, "verdicts", "unreadable", '{"text": "?"}')
    for person in people[:2]:
        task = dispatch.next_task(dep, person, "verdicts")
        assert task is not None
        dispatch.decline(dep, person, task.task_id)
    assert dispatch.next_task(dep, people[2], "verdicts") is None
    _step(dep, flow)
    failed = loops.describe_loop(dep, "unreadable")
    assert failed.status == "Failed" and failed.failure_reason == "declined by 2 workers"
