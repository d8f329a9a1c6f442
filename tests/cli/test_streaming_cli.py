"""The CLI: a streaming job fed by `job add` (a file and standard input), then stopped, chained
(only the unlabeled objects) and cloned."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import cli  # noqa: F401 (the fixture)
from truthset import dispatch, jobs, workforce
from truthset.deployment import open_deployment


def test_streaming_add_stop_chain_clone(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    data = tmp_path / "data"
    cli("admin", "create", "chief@example.org")
    cli("team", "create", "nurses")
    cli("worker", "create", "a@example.org", "--team", "nurses")
    out = cli(
        "job", "create", "triage", "--streaming", "--output", str(data / "out"),
        "--team", "nurses", "--task-type", "text-classification", "--labels", "urgent,routine",
        "--workers-per-object", "1",
    )  # fmt: skip
    assert "created with 0 objects" in out
    first = data / "first.jsonl"
    first.parent.mkdir(parents=True, exist_ok=True)
    first.write_text(json.dumps({"source": "chest pain"}) + "\n" + json.dumps({"source": "cough"}))
    assert "2 objects added" in cli("job", "add", "triage", "--manifest", str(first))
    keyed = json.dumps({"source": "fever", "dataset-objectid-attribute-name": "id", "id": "f"})
    assert "1 objects added" in cli("job", "add", "triage", "--manifest", "-", stdin=keyed + "\n")
    assert "1 duplicates" in cli("job", "add", "triage", "--manifest", "-", stdin=keyed + "\n")
    refused = cli("job", "add", "triage", "--manifest", "-", stdin='{"source": "x"}\n[1]\n', code=1)
    assert "line 2" in refused
    assert "--streaming" in cli(
        "job", "create", "fixed", "--output", str(data / "out"), "--team", "nurses",
        "--input-topic", "arn:aws:sns:us-east-1:111122223333:in", code=1,
    )  # fmt: skip

    dep = open_deployment(cli.settings)
    worker = workforce.get_user(dep, "a@example.org")
    task = dispatch.next_task(dep, worker, "triage")
    assert task is not None
    dispatch.submit_answer(dep, worker, task.task_id, {"crowd-classifier": {"label": "urgent"}})
    assert "Stopped" in cli("job", "stop", "triage")
    assert jobs.describe_job(dep, "triage").counters.total_labeled == 1

    assert "chained from triage" in cli("job", "chain", "triage", "triage-rest")
    chained = jobs.describe_job(dep, "triage-rest")
    assert chained.object_count == 2 and chained.status == "InProgress"
    assert chained.label_attribute_name == "triage"
    cli("job", "chain", "triage", "triage-dept", "--label-attribute-name", "department")
    assert jobs.describe_job(dep, "triage-dept").object_count == 3
    assert "cloned from triage" in cli("job", "clone", "triage", "triage-copy", "--team", "nurses")
    clone = jobs.describe_job(dep, "triage-copy")
    assert clone.options.get("streaming") is True and clone.object_count == 0
    assert "is InProgress" in cli("job", "chain", "triage-copy", "x", code=1)
    assert len(cli("job", "webhook-secret", "triage").strip()) == 64
    dep.db.dispose()


def test_describe_lists_output_lines_never_delivered(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from tests.support.live import free_port
    from truthset.background.runner import Runner
    from truthset.clock import ManualClock
    from truthset.notifications.delivery import ATTEMPTS, backoff

    cli("admin", "create", "chief@example.org")
    cli("team", "create", "nurses")
    cli("worker", "create", "a@example.org", "--team", "nurses")
    nobody = f"http://127.0.0.1:{free_port()}/labels"  # nothing listens there
    cli(
        "job", "create", "triage", "--streaming", "--output", str(tmp_path / "data" / "out"),
        "--team", "nurses", "--task-type", "text-classification", "--labels", "urgent,routine",
        "--workers-per-object", "1", "--webhook", nobody,
    )  # fmt: skip
    cli("job", "add", "triage", "--manifest", "-", stdin='{"source": "chest pain"}\n')
    clock = ManualClock()  # from now: `job stop` below runs the stopping pass on the real clock
    dep = open_deployment(cli.settings, clock=clock)
    worker = workforce.get_user(dep, "a@example.org")
    task = dispatch.next_task(dep, worker, "triage")
    assert task is not None
    dispatch.submit_answer(dep, worker, task.task_id, {"crowd-classifier": {"label": "urgent"}})
    cli("job", "stop", "triage")  # its pass makes the first attempt
    runner = Runner(dep)
    for attempt in range(ATTEMPTS + 1):
        runner.run_once()
        clock.advance(backoff(attempt + 1))
    described = cli("job", "describe", "triage")
    assert "output lines not delivered" in described
    assert "object 0 not sent to the webhook" in described
    assert f"could not be reached: ConnectError (after {ATTEMPTS} attempts)" in described
    dep.db.dispose()
