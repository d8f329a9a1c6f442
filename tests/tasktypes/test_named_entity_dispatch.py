"""The dispatcher checks NER offsets against the object's own text when an answer arrives."""

from __future__ import annotations

import pytest

from tests.support.factories import make_team, write_manifest
from truthset import dispatch, jobs
from truthset.deployment import Deployment
from truthset.errors import Invalid


def test_offsets_past_the_text_are_refused_at_submit(dep: Deployment) -> None:
    (worker,) = make_team(dep, workers=1)
    root = dep.settings.data_dir.resolve()
    manifest = write_manifest(root / "ner.manifest", [{"source": "Ada 😀 Lovelace"}])
    jobs.create_job(dep, jobs.JobRequest(
        name="ner", manifest=str(manifest), output=str(root / "out"), task_type="named-entity-recognition",
        team="radiologists", labels=["Person"], workers_per_object=1,
    ))  # fmt: skip
    task = dispatch.next_task(dep, worker, "ner")
    assert task is not None

    def entity(start: int, end: int) -> dict[str, object]:
        return {
            "crowd-entity-annotation": {
                "entities": [{"label": "Person", "startOffset": start, "endOffset": end}]
            }
        }

    with pytest.raises(Invalid):
        dispatch.submit_answer(dep, worker, task.task_id, entity(6, 15))  # 14 code points
    dispatch.submit_answer(dep, worker, task.task_id, entity(6, 14))
