"""Offsets are Unicode code points with an exclusive end, whatever the text holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from truthset.errors import Invalid
from truthset.tasktypes.base import ConsolidationContext, JobSpec, ObjectAnswers, WorkerAnswer
from truthset.tasktypes.named_entity import NAMED_ENTITY_RECOGNITION as NER

LABELS = ["Person", "Place"]
JOB = JobSpec(
    name="offsets",
    label_attribute_name="ner",
    labels=LABELS,
    label_config={"labels": [{"label": label} for label in LABELS]},
    workers_per_object=2,
    title="t",
    description="d",
    instructions="",
)
NOW = datetime(2026, 1, 2, 3, 4, 5)
# Pieces that trip code-unit arithmetic: astral emoji (2 UTF-16 units), a ZWJ family and a flag
# (several code points, one grapheme), combining marks, CJK, right-to-left text, CR LF.
PIECES = [
    "👩‍👩‍👧",
    "🇯🇵",
    "😀",
    "e\u0301",
    "a\u0308\u0323",
    "東京",
    "한국어",
    "שלום",
    "\r\n",
    " ",
    "x",
]
texts = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=60) | st.lists(
    st.sampled_from(PIECES) | st.text(st.characters(blacklist_categories=["Cs"]), max_size=5),
    min_size=1,
    max_size=15,
).map("".join).filter(bool)


def answer(*entities: tuple[str, int, int]) -> dict[str, Any]:
    return {
        "crowd-entity-annotation": {
            "entities": [
                {"label": label, "startOffset": start, "endOffset": end}
                for label, start, end in entities
            ]
        }
    }


@st.composite
def text_and_span(draw: st.DrawFn) -> tuple[str, int, int]:
    text = draw(texts)
    start = draw(st.integers(0, len(text) - 1))
    end = draw(st.integers(start + 1, len(text)))
    return text, start, end


@given(text_and_span(), st.sampled_from(LABELS))
def test_any_span_inside_the_text_is_accepted(case: tuple[str, int, int], label: str) -> None:
    text, start, end = case
    content = answer((label, start, end))
    assert NER.validate_answer(JOB, content, {"source": text}) == content


@given(texts, st.integers(1, 5))
def test_an_end_past_the_last_code_point_is_refused(text: str, past: int) -> None:
    content = answer(("Person", 0, len(text) + past))
    with pytest.raises(Invalid, match=f"past the end of the text \\({len(text)} characters\\)"):
        NER.validate_answer(JOB, content, {"source": text})


@given(texts.filter(lambda text: any(ord(ch) > 0xFFFF for ch in text)))
def test_utf16_lengths_are_not_code_point_lengths(text: str) -> None:
    utf16 = len(text.encode("utf-16-le")) // 2
    assert utf16 > len(text)
    with pytest.raises(Invalid, match="past the end of the text"):
        NER.validate_answer(JOB, answer(("Person", 0, utf16)), {"source": text})


@given(text_and_span(), st.sampled_from(LABELS))
def test_agreeing_workers_get_their_exact_substring_back(
    case: tuple[str, int, int], label: str
) -> None:
    text, start, end = case
    workers = [WorkerAnswer(f"w{i}", i, answer((label, start, end)), NOW, NOW) for i in range(2)]
    context = ConsolidationContext(now=NOW, write_file=lambda p, d: p, job_answers=list)
    (result,) = NER.consolidate(JOB, [ObjectAnswers(0, {"source": text}, workers)], context)
    (entity,) = result.content["ner"]["annotations"]["entities"]
    assert text[entity["startOffset"] : entity["endOffset"]] == text[start:end]
    assert result.content["ner-metadata"]["entities"] == [{"confidence": 1.0}]


@pytest.mark.parametrize(
    ("text", "needle", "start", "end"),
    [
        ("I ❤️ 東京 and 👩‍👩‍👧 too", "東京", 5, 7),
        ("I ❤️ 東京 and 👩‍👩‍👧 too", "👩‍👩‍👧", 12, 17),
        ("cafe\u0301 Zoë", "cafe\u0301", 0, 5),
        ("😀😀 Ada", "Ada", 3, 6),
        ("line one\r\nAda Lovelace", "Ada", 10, 13),
    ],
)
def test_known_offsets(text: str, needle: str, start: int, end: int) -> None:
    assert text[start:end] == needle
    content = answer(("Person", start, end))
    assert NER.validate_answer(JOB, content, {"source": text}) == content
