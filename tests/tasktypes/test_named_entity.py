"""named-entity-recognition as a task type: input, template, validation, consolidation, output."""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from truthset import taskui
from truthset.errors import Invalid
from truthset.tasktypes.base import (
    ConsolidationContext,
    JobSpec,
    ObjectAnswers,
    ObjectLabel,
    WorkerAnswer,
)
from truthset.tasktypes.named_entity import NAMED_ENTITY_RECOGNITION as NER
from truthset.tasktypes.registry import task_type

NOW = datetime(2026, 11, 25, 9, 30, 0, 123456)
CONFIG = {
    "document-version": "2018-11-28",
    "labels": [
        {"label": "Person", "shortDisplayName": "per"},
        {"label": "Date", "shortDisplayName": "dt"},
        {"label": "Thing"},
    ],
    "instructions": {
        "shortInstruction": "<h1>Names</h1><p>Highlight people & dates</p>",
        "fullInstruction": "<p>Titles are not part of a name.</p>",
    },
}
TEXT = "Jeff Bezos founded Amazon on July 5, 1994."


def spec(config: dict[str, Any] = CONFIG, **changes: Any) -> JobSpec:
    values: dict[str, Any] = {
        "name": "ner-job",
        "label_attribute_name": "ner",
        "labels": [entry["label"] for entry in config["labels"]],
        "label_config": config,
        "workers_per_object": 3,
        "title": "Find the names",
        "description": "Label each item with one of: Person, Date, Thing",
        "instructions": "",
        **changes,
    }
    return JobSpec(**values)


def answer(*entities: tuple[str, int, int]) -> dict[str, Any]:
    return {
        "crowd-entity-annotation": {
            "entities": [
                {"label": label, "startOffset": start, "endOffset": end}
                for label, start, end in entities
            ]
        }
    }


def context() -> ConsolidationContext:
    return ConsolidationContext(now=NOW, write_file=lambda path, data: path, job_answers=list)


def consolidate(
    answers: list[dict[str, Any]], text: str = TEXT, job: JobSpec | None = None
) -> dict[str, Any]:
    workers = [
        WorkerAnswer(f"w{index}", index, content, NOW, NOW) for index, content in enumerate(answers)
    ]
    (label,) = NER.consolidate(
        job or spec(), [ObjectAnswers(7, {"source": text, "id": "a"}, workers)], context()
    )
    assert isinstance(label, ObjectLabel) and label.object_id == 7 and not label.machine
    return label.content


def entities_of(content: dict[str, Any]) -> list[tuple[str, int, int, float]]:
    found = content["ner"]["annotations"]["entities"]
    confidences = content["ner-metadata"]["entities"]
    assert len(found) == len(confidences)
    return [
        (e["label"], e["startOffset"], e["endOffset"], c["confidence"])
        for e, c in zip(found, confidences, strict=True)
    ]


def test_registered_with_ground_truths_names() -> None:
    kind = task_type("named-entity-recognition")
    assert kind is NER
    assert (kind.gt_type, kind.input_key, kind.lambda_suffix) == (
        "groundtruth/text-span",
        "source",
        "NamedEntityRecognition",
    )
    assert (kind.min_labels, kind.needs_ref, kind.default_workers, kind.joint) == (
        1,
        False,
        3,
        False,
    )


def test_task_input_takes_labels_and_instructions_from_the_label_config() -> None:
    task = NER.task_input(spec(instructions="<p>Also: no pronouns.</p>"), {"source": TEXT}, str)
    assert task == {
        "taskObject": TEXT,
        "textParts": [TEXT],
        "labels": [
            {"label": "Person", "shortDisplayName": "per"},
            {"label": "Date", "shortDisplayName": "dt"},
            {"label": "Thing"},
        ],
        "header": "Find the names",
        "shortInstructions": "<h1>Names</h1><p>Highlight people & dates</p>",
        "fullInstructions": "<p>Titles are not part of a name.</p>\n<p>Also: no pronouns.</p>",
    }


def test_without_config_instructions_the_job_description_and_instructions_are_used() -> None:
    config = {"labels": [{"label": "Person"}]}
    job = spec(config, description="Mark <names> & more", instructions="<b>Full</b>")
    task = NER.task_input(job, {"source": TEXT}, str)
    assert task["shortInstructions"] == "Mark &lt;names&gt; &amp; more"
    assert task["fullInstructions"] == "<b>Full</b>"


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "crowd-entity-annotation":
            self.found = dict(attrs)


def test_template_renders_the_text_labels_and_instructions_exactly() -> None:
    text = 'A "quote" & <tag>\r\nnext line\rold Mac line 👩‍👩‍👧 e\u0301 東京'
    html = taskui.render(NER.template(), NER.task_input(spec(), {"source": text}, str), str)
    # Each CR is written as a character reference, which an HTML parser keeps (a raw CR LF in
    # an attribute would be read as LF and shift every later offset).
    assert "\r" not in html and html.count("&#13;") == 2
    parser = _Attributes()
    parser.feed(html)
    assert parser.found["text"] == text
    assert (
        parser.found["labels"] is not None and '"shortDisplayName": "per"' in parser.found["labels"]
    )
    assert parser.found["header"] == "Find the names"
    assert "<short-instructions><h1>Names</h1><p>Highlight people & dates</p>" in html
    assert "<p>Titles are not part of a name.</p></full-instructions>" in html


def test_valid_answers_are_stored_unchanged() -> None:
    content = answer(("Person", 0, 10), ("Thing", 0, 10), ("Date", 29, 41), ("Thing", 19, 25))
    assert NER.validate_answer(spec(), content) == content
    assert NER.validate_answer(spec(), content, {"source": TEXT}) == content
    assert NER.validate_answer(spec(), answer()) == answer()
    assert NER.answer_code(spec(), content) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ([], "answer must be an object with one key"),
        ({"a": {"entities": []}, "b": {}}, "answer must be an object with one key"),
        ({"ner": []}, 'answer.ner must be an object with only an "entities" list'),
        ({"ner": {"entities": [], "x": 1}}, 'only an "entities" list'),
        ({"ner": {"entities": {}}}, "answer.ner.entities must be a list"),
        ({"ner": {"entities": [[0, 1]]}}, r"entities\[0\] must be an object with label"),
        (
            {"ner": {"entities": [{"label": "Person", "startOffset": 0}]}},
            r"entities\[0\] must be an object with label, startOffset and endOffset",
        ),
        (answer(("Nobody", 0, 4)), r"entities\[0\]\.label 'Nobody' is not one of the job's labels"),
        (
            {"e": {"entities": [{"label": 3, "startOffset": 0, "endOffset": 1}]}},
            r"label 3 is not one",
        ),
        (answer(("Person", 0.0, 4)), "startOffset and endOffset must be integers"),  # type: ignore[arg-type]
        (answer(("Person", False, 4)), "must be integers"),  # type: ignore[arg-type]
        (answer(("Person", "0", 4)), "must be integers"),  # type: ignore[arg-type]
        (answer(("Person", 4, 4)), "need 0 <= startOffset < endOffset, got 4, 4"),
        (answer(("Person", -1, 4)), "need 0 <= startOffset < endOffset, got -1, 4"),
        (answer(("Person", 5, 2)), "got 5, 2"),
        (
            answer(("Person", 0, 4), ("Date", 1, 3), ("Person", 0, 4)),
            r"entities\[2\] repeats an entity",
        ),
    ],
)
def test_invalid_answers_are_refused_naming_the_field(content: Any, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        NER.validate_answer(spec(), content)


def test_end_offsets_are_checked_against_the_text_when_the_line_is_given() -> None:
    content = answer(("Thing", 19, len(TEXT) + 1))
    assert NER.validate_answer(spec(), content) == content  # no text: cannot tell
    with pytest.raises(
        Invalid, match=r"endOffset 43 is past the end of the text \(42 characters\)"
    ):
        NER.validate_answer(spec(), content, {"source": TEXT})


def test_output_line_shape_per_ground_truth() -> None:
    content = consolidate([answer(("Person", 0, 10), ("Date", 29, 41))] * 2)
    assert content == {
        "ner": {
            "annotations": {
                "labels": [
                    {"label": "Person", "shortDisplayName": "per"},
                    {"label": "Date", "shortDisplayName": "dt"},
                    {"label": "Thing"},
                ],
                "entities": [
                    {"label": "Person", "startOffset": 0, "endOffset": 10},
                    {"label": "Date", "startOffset": 29, "endOffset": 41},
                ],
            }
        },
        "ner-metadata": {
            "job-name": "labeling-job/ner-job",
            "type": "groundtruth/text-span",
            "creation-date": "2026-11-25T09:30:00.123456",
            "human-annotated": "yes",
            "entities": [{"confidence": 1.0}, {"confidence": 1.0}],
        },
    }
    assert list(content["ner-metadata"]) == [
        "job-name",
        "type",
        "creation-date",
        "human-annotated",
        "entities",
    ]


def test_one_worker_gives_confidence_zero() -> None:
    content = consolidate([answer(("Person", 0, 10), ("Thing", 0, 10))])
    assert entities_of(content) == [("Person", 0, 10, 0.0), ("Thing", 0, 10, 0.0)]


def test_identical_spans_merge_and_disjoint_spans_stay_apart() -> None:
    content = consolidate(
        [
            answer(("Person", 0, 10), ("Thing", 19, 25)),
            answer(("Person", 0, 10), ("Date", 29, 41)),
            answer(("Person", 0, 10), ("Thing", 19, 25), ("Date", 29, 41)),
        ]
    )
    assert entities_of(content) == [
        ("Person", 0, 10, 1.0),
        ("Thing", 19, 25, 0.67),
        ("Date", 29, 41, 0.67),
    ]


def test_overlapping_spans_and_two_labels_on_one_span_stay_separate_entities() -> None:
    both = answer(("Person", 0, 10), ("Thing", 0, 10), ("Thing", 5, 25))
    assert [e[:3] for e in entities_of(consolidate([both, both]))] == [
        ("Person", 0, 10),
        ("Thing", 0, 10),
        ("Thing", 5, 25),
    ]


def test_boundary_disagreement_takes_the_clear_mode_else_the_wider_median() -> None:
    # Starts 0, 0, 5 (mode 0); ends 10, 10, 10 (mode 10).
    mode = consolidate(
        [answer(("Person", 0, 10)), answer(("Person", 0, 10)), answer(("Person", 5, 10))]
    )
    assert entities_of(mode) == [("Person", 0, 10, 0.83)]
    # No clear mode (0, 5 and 10, 12): lower middle start, upper middle end, so the wider span.
    median = consolidate([answer(("Person", 0, 10)), answer(("Person", 5, 12))])
    assert [e[:3] for e in entities_of(median)] == [("Person", 0, 12)]


def test_label_by_majority_within_a_cluster() -> None:
    content = consolidate(
        [answer(("Thing", 19, 25)), answer(("Thing", 19, 25)), answer(("Person", 19, 25))]
    )
    assert entities_of(content) == [("Thing", 19, 25, 0.67)]


def test_a_span_marked_by_too_few_workers_is_dropped_and_empty_answers_count() -> None:
    content = consolidate([answer(("Person", 0, 10)), answer(), answer()])
    assert entities_of(content) == []
    assert content["ner-metadata"]["entities"] == []


def test_entities_past_the_end_of_the_text_are_left_out() -> None:
    content = consolidate([answer(("Person", 0, 10), ("Thing", 40, 60))] * 2)
    assert [e[:3] for e in entities_of(content)] == [("Person", 0, 10)]


def test_label_attribute_name_and_job_name_are_used() -> None:
    job = spec(label_attribute_name="people", name="other")
    content = consolidate([answer(("Person", 0, 4))] * 2, job=job)
    assert set(content) == {"people", "people-metadata"}
    assert content["people-metadata"]["job-name"] == "labeling-job/other"
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", content["people-metadata"]["creation-date"]
    )
