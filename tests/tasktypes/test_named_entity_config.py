"""The NER label category file: shortDisplayName and the instructions block (reference 3.4)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from truthset.errors import Invalid
from truthset.labels import config_instructions, label_entries, label_names, parse_label_config

NER_CONFIG = {
    "document-version": "2018-11-28",
    "labels": [
        {"label": "person", "shortDisplayName": "per"},
        {"label": "date", "shortDisplayName": "dt"},
    ],
    "instructions": {
        "shortInstruction": "<h1>Add header</h1><p>Add Instructions</p>",
        "fullInstruction": "<p>Add additional instructions.</p>",
    },
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=18), children, max_size=3)
    ),
    max_leaves=6,
)


def test_ground_truths_ner_example_is_accepted() -> None:
    config = parse_label_config(json.dumps(NER_CONFIG), "labels.json")
    assert config == NER_CONFIG
    assert label_names(config) == ["person", "date"]
    assert label_entries(config) == NER_CONFIG["labels"]
    assert config_instructions(config) == (
        "<h1>Add header</h1><p>Add Instructions</p>",
        "<p>Add additional instructions.</p>",
    )


def test_basic_configs_still_work_and_have_no_instructions() -> None:
    config = parse_label_config(
        '{"document-version": "2021-05-13", "labels": [{"label": "a"}]}', "f"
    )
    assert label_entries(config) == [{"label": "a"}]
    assert config_instructions(config) == ("", "")
    partial = parse_label_config(
        '{"labels": [{"label": "a"}], "instructions": {"fullInstruction": "<p>x</p>"}}', "f"
    )
    assert config_instructions(partial) == ("", "<p>x</p>")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"labels": [{"label": "a", "shortDisplayName": ""}]},
            r"f: labels\[0\]\.shortDisplayName must be 1-256 characters",
        ),
        ({"labels": [{"label": "a", "shortDisplayName": 3}]}, "shortDisplayName must be"),
        ({"labels": [{"label": "a", "shortDisplayName": "x" * 257}]}, "shortDisplayName"),
        (
            {"labels": [{"label": "a"}], "instructions": "read me"},
            'f: "instructions" must be an object',
        ),
        (
            {"labels": [{"label": "a"}], "instructions": {"shortInstructions": "x"}},
            "f: instructions.shortInstructions is not known; use shortInstruction and fullInstruction",
        ),
        (
            {"labels": [{"label": "a"}], "instructions": {"shortInstruction": ["x"]}},
            "f: instructions.shortInstruction must be a string of at most 100000 characters",
        ),
        (
            {"labels": [{"label": "a"}], "instructions": {"fullInstruction": "x" * 100_001}},
            "instructions.fullInstruction must be a string",
        ),
    ],
)
def test_bad_ner_fields_are_refused_naming_the_field(config: dict[str, Any], message: str) -> None:
    with pytest.raises(Invalid, match=message):
        parse_label_config(json.dumps(config), "f")


@given(
    short=st.one_of(st.none(), json_values),
    instructions=st.one_of(st.none(), json_values),
)
def test_any_ner_fields_are_either_accepted_or_refused_naming_the_file(
    short: Any, instructions: Any
) -> None:
    entry: dict[str, Any] = {"label": "person"}
    if short is not None:
        entry["shortDisplayName"] = short
    config: dict[str, Any] = {"labels": [entry]}
    if instructions is not None:
        config["instructions"] = instructions
    try:
        parsed = parse_label_config(json.dumps(config), "cfg.json")
    except Invalid as error:
        assert error.message.startswith("cfg.json: ")
        return
    entries = label_entries(parsed)
    assert entries[0]["label"] == "person"
    assert isinstance(entries[0].get("shortDisplayName", "x"), str)
    assert all(isinstance(part, str) for part in config_instructions(parsed))
