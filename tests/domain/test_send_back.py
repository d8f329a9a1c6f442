"""Sending a labeled object back for more answers, on SQLite and PostgreSQL: who gets it, when
it closes, the job re-opening, the override cleared, the audit entry, and the REST route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support.factories import VIEWS, answer, make_admin, make_job, make_team
from tests.web.test_api_flow import login
from truthset import dispatch, jobs, results, send_back
from truthset.background.runner import run_job
from truthset.db.tables import AuditEntry
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid
from truthset.workforce import UserInfo


def label_all(dep: Deployment, workers: list[UserInfo], choice: dict[int, str]) -> None:
    """Each worker answers every task they get: object k with choice[k]."""
    for worker in workers:
        while (task := dispatch.next_task(dep, worker, "views")) is not None:
            dispatch.submit_answer(dep, worker, task.task_id, answer(choice[task.object_id]))


def step(dep: Deployment) -> jobs.JobInfo:
    run_job(dep, jobs.describe_job(dep, "views").id, "test")
    return jobs.describe_job(dep, "views")


def sent_back_entries(dep: Deployment) -> list[Any]:
    with dep.db.read() as conn:
        rows = conn.execute(
            select(AuditEntry.__table__).where(AuditEntry.action == "object.sent_back")
        ).all()
    return list(rows)


def test_a_completed_job_reopens_and_the_new_answer_relabels(dep: Deployment) -> None:
    workers = make_team(dep, workers=3)
    make_job(dep, objects=2, workers_per_object=2)
    label_all(dep, workers[:2], {0: "Left-CC", 1: "Right-CC"})
    assert step(dep).status == "Completed"
    assert send_back.room(dep, "views", 0) == 1  # worker2 is the only one never given it
    with pytest.raises(Invalid, match="from 1 to 1"):
        send_back.send_back(dep, "views", 0, 2)

    sent = send_back.send_back(dep, "views", 0, 1)
    assert (sent.answers, sent.wanted, sent.job_status) == (2, 3, "InProgress")
    job = jobs.describe_job(dep, "views")
    assert job.status == "InProgress" and job.ended_at is None
    row = results.browse(dep, "views", results.ObjectQuery()).rows[0]
    assert (row.state, row.label) == ("open", None)
    # The workers who answered it do not get it again; the one who had not does, once.
    assert dispatch.next_task(dep, workers[0], "views") is None
    task = dispatch.next_task(dep, workers[2], "views")
    assert task is not None and task.object_id == 0
    assert dispatch.next_task(dep, workers[1], "views") is None
    dispatch.submit_answer(dep, workers[2], task.task_id, answer("Right-MLO"))
    assert dispatch.next_task(dep, workers[2], "views") is None

    job = step(dep)
    assert job.status == "Completed"
    detail = results.object_detail(dep, "views", 0)
    assert detail.row.state == "labeled" and detail.row.answers == 3
    assert detail.row.label == "Left-CC"  # two of three still say so
    line = json.loads(Path(job.output_manifest).read_text().splitlines()[0])
    assert line["views-metadata"]["class-name"] == "Left-CC"
    (entry,) = sent_back_entries(dep)
    assert entry.object_id == 0 and entry.job == "views"
    assert json.loads(entry.detail) == {
        "answers": 1,
        "had": 2,
        "reopened": True,
        "cleared_override": None,
    }
    # Every worker of the team has had it now.
    assert send_back.room(dep, "views", 0) == 0
    with pytest.raises(Conflict, match="every worker"):
        send_back.send_back(dep, "views", 0)


def test_an_override_is_cleared_and_audited(dep: Deployment) -> None:
    workers = make_team(dep, workers=3)
    make_job(dep, objects=1, workers_per_object=2)
    label_all(dep, workers[:2], {0: "Left-CC"})
    step(dep)
    results.override_label(dep, "views", 0, "Left-MLO", "admin@example.org")
    send_back.send_back(dep, "views", 0)
    row = results.browse(dep, "views", results.ObjectQuery()).rows[0]
    assert not row.overridden and row.label is None and row.state == "open"
    (entry,) = sent_back_entries(dep)
    assert json.loads(entry.detail)["cleared_override"] == "Left-MLO"
    label_all(dep, workers[2:], {0: "Left-CC"})
    step(dep)
    detail = results.object_detail(dep, "views", 0)
    assert detail.row.label == "Left-CC" and not detail.row.overridden
    assert "truthset-override" not in json.dumps(detail.label)


def test_it_closes_at_the_answers_wanted_below_the_job_s_workers(dep: Deployment) -> None:
    """An object that closed with fewer answers than the job's workers per object (declined by
    the rest) sent back for one more closes at that one, not at workers per object."""
    workers = make_team(dep, workers=5)
    make_job(dep, objects=1, workers_per_object=3)
    first = dispatch.next_task(dep, workers[0], "views")
    assert first is not None
    dispatch.submit_answer(dep, workers[0], first.task_id, answer("Right-CC"))
    for worker in workers[1:4]:
        task = dispatch.next_task(dep, worker, "views")
        assert task is not None
        dispatch.decline(dep, worker, task.task_id)
    assert step(dep).status == "Completed"
    send_back.send_back(dep, "views", 0, 1)
    task = dispatch.next_task(dep, workers[4], "views")
    assert task is not None
    dispatch.submit_answer(dep, workers[4], task.task_id, answer("Right-CC"))
    assert results.object_detail(dep, "views", 0).row.state != "open"
    job = step(dep)
    assert job.status == "Completed" and job.counters.human_labeled == 1
    assert results.object_detail(dep, "views", 0).row.answers == 2


def test_what_cannot_be_sent_back(dep: Deployment) -> None:
    workers = make_team(dep, workers=3)
    make_job(dep, objects=2, workers_per_object=2)
    label_all(dep, workers[:1], {0: "Left-CC", 1: "Left-CC"})
    task = dispatch.next_task(dep, workers[1], "views")
    assert task is not None and task.object_id == 0
    dispatch.submit_answer(dep, workers[1], task.task_id, answer("Left-CC"))
    step(dep)
    with pytest.raises(Conflict, match="only a labeled object"):
        send_back.send_back(dep, "views", 1)  # still open, waiting for its second answer
    with pytest.raises(Invalid, match="from 1 to 1"):
        send_back.send_back(dep, "views", 0, 0)
    jobs.stop_job(dep, "views")
    assert step(dep).status == "Stopped"
    assert send_back.room(dep, "views", 0) == 0
    with pytest.raises(Conflict, match="Stopped: nothing can be sent back"):
        send_back.send_back(dep, "views", 0)
    assert sent_back_entries(dep) == []


def test_rest_route_for_admins_only(client: TestClient, dep: Deployment) -> None:
    make_admin(dep)
    workers = make_team(dep, workers=3)
    make_job(dep, objects=1, workers_per_object=2)
    label_all(dep, workers[:2], {0: VIEWS[1]})
    step(dep)
    url = "/api/v1/jobs/views/objects/0/send-back"
    worker = login(client, "worker2@radiologists.example.org")
    assert client.post(url, json={"answers": 1}, headers=worker).status_code == 403
    admin = login(client, "admin@example.org")
    too_many = client.post(url, json={"answers": 2}, headers=admin)
    assert too_many.status_code == 400, too_many.text
    sent = client.post(url, headers=admin)  # no body: one more answer
    assert sent.status_code == 200, sent.text
    assert sent.json() == {
        "job": "views",
        "object_id": 0,
        "answers": 2,
        "wanted": 3,
        "job_status": "InProgress",
    }
    again = client.post(url, json={"answers": 1}, headers=admin)
    assert again.status_code == 409 and "open" in again.json()["error"]["message"]
    assert client.post("/api/v1/jobs/views/objects/7/send-back", headers=admin).status_code == 404


def test_an_adaptive_job_s_object_gets_every_answer_it_was_sent_back_for(dep: Deployment) -> None:
    """Past the job's workers per object the stopping rule has no say: the object closes at
    the answers it was sent back for, not at workers per object."""
    workers = make_team(dep, workers=5)
    adaptive = {"min_workers_per_object": 2, "target_confidence": 0.95}
    make_job(dep, objects=1, workers_per_object=3, options={"adaptive": adaptive})
    label_all(dep, workers[:3], {0: "Left-CC"})
    assert step(dep).status == "Completed"
    had = results.object_detail(dep, "views", 0).row.answers
    free = send_back.room(dep, "views", 0)
    assert had in (2, 3) and free == 5 - had
    assert send_back.send_back(dep, "views", 0, free).wanted == 5
    for index, worker in enumerate(workers[had:]):
        task = dispatch.next_task(dep, worker, "views")
        assert task is not None and task.object_id == 0
        dispatch.submit_answer(dep, worker, task.task_id, answer("Left-CC"))
        state = results.object_detail(dep, "views", 0).row.state
        assert state == ("open" if index < free - 1 else "answered"), (index, state)
    job = step(dep)
    assert job.status == "Completed"
    assert results.object_detail(dep, "views", 0).row.answers == 5
