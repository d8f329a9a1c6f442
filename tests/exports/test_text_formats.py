"""Classification and named-entity exports read back by their reference readers: the csv
module and pandas for CSV, `datasets` for JSON Lines and Hugging Face folders, spaCy for
DocBin files and (through its CoNLL converter) for CoNLL."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import datasets
import spacy
from spacy.tokens import DocBin
from spacy.training.converters import conll_ner_to_docs
from typer.testing import CliRunner

from tests.exports.jobs import TEXTS, entity, labeled_job
from tests.support.factories import make_team
from truthset.cli.main import app
from truthset.deployment import Deployment
from truthset.exports import export_job
from truthset.results import override_label


def classify(label: str) -> Any:
    return {"crowd-classifier": {"label": label}}


def test_single_label_classification_as_csv_jsonl_and_hf(dep: Deployment, tmp_path: Path) -> None:
    workers = make_team(dep, workers=2)
    labeled_job(
        dep,
        workers,
        "topics",
        "text-classification",
        lambda w, o: classify("car" if o == 0 else "pedestrian"),
    )
    export_job(dep, "topics", "csv", tmp_path / "csv")
    with (tmp_path / "csv" / "labels.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["object_id"], r["source"], r["label"], r["answers"]) for r in rows] == [
        ("0", TEXTS[0], "car", "2"),
        ("1", TEXTS[1], "pedestrian", "2"),
    ]
    assert float(rows[0]["confidence"]) > 0.5 and rows[0]["human_annotated"] == "True"

    seen: list[int] = []
    export_job(dep, "topics", "jsonl", tmp_path / "jsonl", progress=seen.append, progress_every=1)
    assert seen == [1, 2]
    loaded = datasets.load_dataset(
        "json",
        data_files=str(tmp_path / "jsonl" / "labels.jsonl"),
        split="train",
        cache_dir=str(tmp_path / "cache"),
    )
    assert loaded["label"] == ["car", "pedestrian"] and loaded["source"] == TEXTS

    export_job(dep, "topics", "hf", tmp_path / "hf")
    table = datasets.load_from_disk(str(tmp_path / "hf"))
    assert table.features["label"].names == ["car", "pedestrian"]
    assert table["label"] == [0, 1] and table["answers"] == [2, 2]
    assert table["source"] == TEXTS
    # The data file alone also loads with load_dataset, keeping the class names (they travel
    # in the Arrow schema's metadata).
    streamed = datasets.load_dataset(
        "arrow",
        data_files=str(tmp_path / "hf" / "data-00000-of-00001.arrow"),
        split="train",
        cache_dir=str(tmp_path / "cache"),
    )
    assert streamed.features["label"].names == ["car", "pedestrian"]
    assert streamed["label"] == [0, 1]


def test_multilabel_classification_as_csv_jsonl_and_hf(dep: Deployment, tmp_path: Path) -> None:
    workers = make_team(dep, workers=2)

    def answer(worker: int, object_id: int) -> Any:
        labels = ["car", "pedestrian"] if object_id == 0 else ["pedestrian"]
        return {"crowd-classifier-multi-select": {"labels": labels}}

    labeled_job(dep, workers, "tags", "text-classification-multilabel", answer)
    export_job(dep, "tags", "jsonl", tmp_path / "jsonl")
    rows = [json.loads(x) for x in (tmp_path / "jsonl" / "labels.jsonl").read_text().splitlines()]
    assert [r["labels"] for r in rows] == [["car", "pedestrian"], ["pedestrian"]]
    assert all(len(r["confidences"]) == len(r["labels"]) for r in rows)

    export_job(dep, "tags", "csv", tmp_path / "csv")
    with (tmp_path / "csv" / "labels.csv").open() as handle:
        assert [json.loads(r["labels"]) for r in csv.DictReader(handle)] == [
            ["car", "pedestrian"],
            ["pedestrian"],
        ]

    export_job(dep, "tags", "hf", tmp_path / "hf")
    table = datasets.load_from_disk(str(tmp_path / "hf"))
    names = table.features["labels"].feature
    assert [[names.int2str(k) for k in row] for row in table["labels"]] == [
        ["car", "pedestrian"],
        ["pedestrian"],
    ]


ENTITIES = [
    entity(TEXTS[0], "Ada Lovelace", "pedestrian"),
    entity(TEXTS[0], "London", "car"),
]


def ner_job(dep: Deployment) -> None:
    workers = make_team(dep, workers=2)

    def answer(worker: int, object_id: int) -> Any:
        found = ENTITIES if object_id == 0 else []
        return {"crowd-entity-annotation": {"entities": found}}

    labeled_job(dep, workers, "names", "named-entity-recognition", answer)


def test_entities_as_spacy_conll_and_hf(dep: Deployment, tmp_path: Path) -> None:
    ner_job(dep)
    export_job(dep, "names", "spacy", tmp_path / "spacy")
    nlp = spacy.blank("en")
    (shard,) = sorted((tmp_path / "spacy").glob("*.spacy"))
    docs = list(DocBin().from_disk(shard).get_docs(nlp.vocab))
    assert [d.text for d in docs] == TEXTS
    assert [(e.start_char, e.end_char, e.label_) for e in docs[0].ents] == [
        (e["startOffset"], e["endOffset"], e["label"]) for e in ENTITIES
    ]
    assert docs[1].ents == ()
    assert docs[0].user_data["object_id"] == 0 and docs[0].user_data["answers"] == 2
    assert [e[3] for e in docs[0].user_data["entities"]] == [1.0, 1.0]

    export_job(dep, "names", "conll", tmp_path / "conll")
    text = (tmp_path / "conll" / "labels.conll").read_text()
    assert "Ada -X- _ B-pedestrian\nLovelace -X- _ I-pedestrian\nmet -X- _ O\n" in text
    docs = list(conll_ner_to_docs(text, n_sents=1, no_print=True))
    assert [[(e.text, e.label_) for e in d.ents] for d in docs] == [
        [("Ada Lovelace", "pedestrian"), ("London", "car")],
        [],
    ]

    export_job(dep, "names", "hf", tmp_path / "hf")
    table = datasets.load_from_disk(str(tmp_path / "hf"))
    labels = table.features["entities"].feature["label"]
    assert [(e["start"], e["end"], labels.int2str(e["label"])) for e in table[0]["entities"]] == [
        (e["startOffset"], e["endOffset"], e["label"]) for e in ENTITIES
    ]
    assert table[1]["entities"] == []


def test_the_cli_exports_and_refuses_a_format_that_does_not_fit(
    dep: Deployment, tmp_path: Path
) -> None:
    ner_job(dep)
    env = {
        "TRUTHSET_DATA_DIR": str(dep.settings.data_dir),
        "TRUTHSET_DATABASE_URL": dep.settings.database_url,
        "TRUTHSET_SECRET_KEY": "test-secret-key",
    }
    runner = CliRunner()
    folder = tmp_path / "out"
    done = runner.invoke(
        app, ["job", "export", "names", "--format", "conll", "-o", str(folder)], env=env
    )
    assert done.exit_code == 0, done.output
    assert f"2 objects exported as conll to {folder}" in done.output
    assert (folder / "labels.conll").read_text().startswith("-DOCSTART- -X- O O\n")
    refused = runner.invoke(app, ["job", "export", "names", "--format", "coco"], env=env)
    assert refused.exit_code == 1
    assert (
        "the coco format does not apply to named-entity-recognition jobs; use hf, spacy, conll"
        in refused.output
    )


def test_an_overridden_label_is_what_every_classification_format_exports(
    dep: Deployment, tmp_path: Path
) -> None:
    """The admin's label replaces the workers' consolidated one in CSV, JSON Lines and the
    Hugging Face folder alike (results.override_label), read back by the formats' readers."""
    workers = make_team(dep, workers=2)
    labeled_job(dep, workers, "topics", "text-classification", lambda w, o: classify("car"))
    override_label(dep, "topics", 1, "pedestrian", "admin@example.org")

    export_job(dep, "topics", "csv", tmp_path / "csv")
    with (tmp_path / "csv" / "labels.csv").open() as handle:
        assert [r["label"] for r in csv.DictReader(handle)] == ["car", "pedestrian"]
    export_job(dep, "topics", "jsonl", tmp_path / "jsonl")
    lines = (tmp_path / "jsonl" / "labels.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["label"] for r in rows] == ["car", "pedestrian"]
    export_job(dep, "topics", "hf", tmp_path / "hf")
    table = datasets.load_from_disk(str(tmp_path / "hf"))
    assert [table.features["label"].names[k] for k in table["label"]] == ["car", "pedestrian"]
