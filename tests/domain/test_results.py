"""The results explorer's queries and an admin's override, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.support.factories import VIEWS, answer, make_job, make_team
from truthset import charts, dispatch, jobs, results
from truthset.background.runner import run_job
from truthset.db.tables import AuditEntry
from truthset.deployment import Deployment
from truthset.errors import Invalid


# Object -> the three workers' answers: 0 and 2 unanimous, 1 and 3 split.
def audit_entries(dep: Deployment) -> list[Any]:
    with dep.db.read() as conn:
        return list(conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.id)))


ANSWERS = {
    0: ["Left-CC"] * 3,
    1: ["Right-MLO", "Right-MLO", "Left-MLO"],
    2: ["Left-CC"] * 3,
    3: ["Right-CC", "Left-MLO", "Left-MLO"],
}


@pytest.fixture
def labeled(dep: Deployment) -> Deployment:
    workers = make_team(dep, workers=3)
    make_job(dep, objects=5, workers_per_object=3)
    for index, worker in enumerate(workers):
        while (task := dispatch.next_task(dep, worker, "views")) is not None:
            if task.object_id == 4:  # object 4 keeps waiting for answers
                dispatch.decline(dep, worker, task.task_id)
                continue
            dispatch.submit_answer(
                dep, worker, task.task_id, answer(ANSWERS[task.object_id][index])
            )
    run_job(dep, jobs.describe_job(dep, "views").id, "test")
    return dep


def ids(page: results.ResultsPage) -> list[int]:
    return [row.object_id for row in page.rows]


def test_filters_and_sort(labeled: Deployment) -> None:
    dep = labeled
    everything = results.browse(dep, "views", results.ObjectQuery())
    assert ids(everything) == [0, 1, 2, 3, 4] and everything.total == 5
    assert [r.label for r in everything.rows][:3] == ["Left-CC", "Right-MLO", "Left-CC"]
    assert everything.rows[4].label is None and everything.rows[4].answers == 0
    assert ids(results.browse(dep, "views", results.ObjectQuery(label="Left-CC"))) == [0, 2]
    split = results.browse(dep, "views", results.ObjectQuery(disagreement=True))
    assert ids(split) == [1, 3]
    confidence = {r.object_id: r.confidence for r in everything.rows}
    assert confidence[0] == confidence[2] == 1.0 and confidence[4] is None
    assert confidence[1] < 1.0 and confidence[3] < 1.0  # type: ignore[operator]
    unsure = results.browse(dep, "views", results.ObjectQuery(max_confidence=0.999))
    assert ids(unsure) == [1, 3]
    assert ids(results.browse(dep, "views", results.ObjectQuery(min_confidence=1.0))) == [0, 2]
    by_confidence = results.browse(dep, "views", results.ObjectQuery(sort="confidence"))
    confidences = [r.confidence for r in by_confidence.rows if r.confidence is not None]
    assert confidences == sorted(confidences) and by_confidence.rows[-1].object_id == 4
    worker = "worker2@radiologists.example.org"
    assert ids(results.browse(dep, "views", results.ObjectQuery(worker=worker))) == [0, 1, 2, 3]
    waiting = everything.rows[4].state
    assert waiting != "labeled"
    assert ids(results.browse(dep, "views", results.ObjectQuery(state=waiting))) == [4]
    assert ids(results.browse(dep, "views", results.ObjectQuery(state="labeled"))) == [0, 1, 2, 3]
    assert results.browse(dep, "views", results.ObjectQuery(machine=True)).total == 0


def test_object_detail_has_every_answer_and_a_posterior(labeled: Deployment) -> None:
    detail = results.object_detail(labeled, "views", 1)
    assert [a.content for a in detail.answers] == [answer(x) for x in ANSWERS[1]]
    assert set(detail.posterior) <= set(VIEWS)
    assert max(detail.posterior, key=detail.posterior.__getitem__) == "Right-MLO"
    assert sum(detail.posterior.values()) == pytest.approx(1.0)


def test_an_override_is_in_the_output_and_survives_consolidation(labeled: Deployment) -> None:
    dep = labeled
    results.override_label(dep, "views", 1, "Left-MLO", "admin@example.org")
    job = jobs.describe_job(dep, "views")
    run_job(dep, job.id, "test")
    # Another pass re-fits the model over the whole job; the admin's label stays.
    from truthset.background.labeling import consolidate_answered

    consolidate_answered(dep, job, force=True)
    run_job(dep, job.id, "test")
    line = json.loads(Path(job.output_manifest).read_text().splitlines()[1])
    assert line["views"] == VIEWS.index("Left-MLO")
    meta = line["views-metadata"]
    assert meta["class-name"] == "Left-MLO" and meta["human-annotated"] == "yes"
    assert meta["truthset-override"]["by"] == "admin@example.org"
    assert meta["truthset-override"]["replaced"] == "Right-MLO"
    entries = [e for e in audit_entries(dep) if e.action == "label.overridden"]
    assert len(entries) == 1 and entries[0].object_id == 1
    assert json.loads(entries[0].detail) == {"label": "Left-MLO", "replaced": "Right-MLO"}
    row = results.browse(dep, "views", results.ObjectQuery(label="Left-MLO")).rows[0]
    assert row.object_id == 1 and row.overridden
    with pytest.raises(Invalid, match="not one of the job's labels"):
        results.override_label(dep, "views", 1, "Elbow", "admin@example.org")
    with pytest.raises(Invalid, match="only a label can be overridden"):
        results.override_label(dep, "views", 4, "Left-CC", "admin@example.org")


def test_charts_are_svg_with_the_job_in_them(labeled: Deployment) -> None:
    data = charts.chart_data(labeled, "views")
    assert sorted(data.label_names) == ["Left-CC", "Left-CC", "Left-MLO", "Right-MLO"]
    for key in charts.JOB_CHARTS:
        svg = charts.job_chart(labeled, "views", key).decode()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    labels = charts.job_chart(labeled, "views", "labels").decode()
    assert all(name in labels for name in ("Left-CC", "Right-MLO", "Left-MLO"))
    worker = results.object_detail(labeled, "views", 0).answers[0].worker_id
    confusion = charts.confusion(labeled, "views", worker).decode()
    assert "confusion" in confusion and "Left-CC" in confusion
