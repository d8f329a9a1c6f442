"""A named-entity-recognition job from label config and manifest to output line (4.8)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.factories import make_team, write_manifest
from truthset import dispatch, jobs
from truthset.background.runner import run_job
from truthset.deployment import Deployment
from truthset.errors import Invalid

CONFIG = {
    "document-version": "2018-11-28",
    "labels": [
        {"label": "Person", "shortDisplayName": "per"},
        {"label": "Organization", "shortDisplayName": "org"},
    ],
    "instructions": {
        "shortInstruction": "<p>Highlight people and organizations.</p>",
        "fullInstruction": "<p>Titles are not part of a name.</p>",
    },
}
TEXTS = ["Ada Lovelace met Charles Babbage.", "東京 is home to 👩‍👩‍👧 Sony."]


def ner_job(dep: Deployment, workers: int) -> jobs.JobInfo:
    root = dep.settings.data_dir.resolve()
    (root / "ner-labels.json").write_text(json.dumps(CONFIG))
    manifest = write_manifest(root / "ner.manifest", [{"source": text} for text in TEXTS])
    return jobs.create_job(
        dep,
        jobs.JobRequest(
            name="names",
            manifest=str(manifest),
            output=str(root / "output"),
            task_type="named-entity-recognition",
            team="radiologists",
            label_config=str(root / "ner-labels.json"),
            workers_per_object=workers,
            label_attribute_name="ner",
        ),
    )


def entity(text: str, needle: str, label: str) -> dict[str, Any]:
    start = text.index(needle)
    return {"label": label, "startOffset": start, "endOffset": start + len(needle)}


def test_two_workers_to_output_line(dep: Deployment) -> None:
    workers = make_team(dep, workers=2)
    job = ner_job(dep, workers=2)
    assert job.labels == ["Person", "Organization"]
    tool = Path(job.output_folder) / "annotation-tool"
    assert json.loads((tool / "data.json").read_text()) == CONFIG
    assert "<crowd-entity-annotation" in (tool / "template.liquid").read_text()
    answers = {
        0: [
            [
                entity(TEXTS[0], "Ada Lovelace", "Person"),
                entity(TEXTS[0], "Charles Babbage", "Person"),
            ],
            [entity(TEXTS[0], "Ada Lovelace", "Person"), entity(TEXTS[0], "Babbage", "Person")],
        ],
        1: [[entity(TEXTS[1], "Sony", "Organization")], [entity(TEXTS[1], "Sony", "Organization")]],
    }
    for index, worker in enumerate(workers):
        while (task := dispatch.next_task(dep, worker, "names")) is not None:
            content = {"crowd-entity-annotation": {"entities": answers[task.object_id][index]}}
            dispatch.submit_answer(dep, worker, task.task_id, content)
    run_job(dep, job.id, "test")
    job = jobs.describe_job(dep, "names")
    assert job.status == "Completed" and job.counters.human_labeled == 2
    lines = [json.loads(x) for x in Path(job.output_manifest).read_text().splitlines()]
    assert [list(line) for line in lines] == [["source", "ner", "ner-metadata"]] * 2
    first = lines[0]
    assert first["ner"] == {
        "annotations": {
            "labels": CONFIG["labels"],
            "entities": [
                entity(TEXTS[0], "Ada Lovelace", "Person"),
                # Ends agree (mode); starts 17 and 25 have no mode: the lower middle, the wider.
                entity(TEXTS[0], "Charles Babbage", "Person"),
            ],
        }
    }
    meta = first["ner-metadata"]
    assert [meta[k] for k in ("job-name", "type", "human-annotated")] == [
        "labeling-job/names",
        "groundtruth/text-span",
        "yes",
    ]
    assert meta["entities"][0] == {"confidence": 1.0}
    assert 0 < meta["entities"][1]["confidence"] < 1
    second = lines[1]
    (sony,) = second["ner"]["annotations"]["entities"]
    start, end = sony["startOffset"], sony["endOffset"]
    assert (start, end) == (20, 24) and TEXTS[1][start:end] == "Sony"
    assert second["ner-metadata"]["entities"] == [{"confidence": 1.0}]
    responses = Path(job.output_folder) / "annotations/worker-response/iteration-1/1"
    (response,) = responses.glob("*.json")
    stored = [a["answerContent"] for a in json.loads(response.read_text())["answers"]]
    assert stored == [{"crowd-entity-annotation": {"entities": a}} for a in answers[1]]


def test_bad_answers_are_refused_before_storing(dep: Deployment) -> None:
    (worker,) = make_team(dep, workers=1)
    ner_job(dep, workers=1)
    task = dispatch.next_task(dep, worker, "names")
    assert task is not None
    bad = {
        "crowd-entity-annotation": {
            "entities": [{"label": "Place", "startOffset": 0, "endOffset": 3}]
        }
    }
    with pytest.raises(Invalid, match="'Place' is not one of the job's labels"):
        dispatch.submit_answer(dep, worker, task.task_id, bad)
    dispatch.submit_answer(dep, worker, task.task_id, {"crowd-entity-annotation": {"entities": []}})


def test_ner_config_is_checked_at_job_creation(dep: Deployment) -> None:
    make_team(dep, workers=1)
    root = dep.settings.data_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    (root / "ner-labels.json").write_text(
        json.dumps({"labels": [{"label": "Person"}], "instructions": {"short": "x"}})
    )
    manifest = write_manifest(root / "ner.manifest", [{"source": "Ada"}])
    request = jobs.JobRequest(
        name="names",
        manifest=str(manifest),
        output=str(root / "output"),
        task_type="named-entity-recognition",
        team="radiologists",
        label_config=str(root / "ner-labels.json"),
    )
    with pytest.raises(Invalid, match=r"instructions\.short is not known"):
        jobs.create_job(dep, request)
    image_line = write_manifest(root / "images.manifest", [{"source-ref": str(root / "a.png")}])
    request.label_config, request.labels = None, ["Person"]
    request.manifest = str(image_line)
    with pytest.raises(Invalid, match="has no 'source' attribute"):
        jobs.create_job(dep, request)
