"""A Hugging Face `datasets` folder, the layout `Dataset.save_to_disk` writes and
`datasets.load_from_disk` reads: `data-00000-of-00001.arrow` (an Arrow IPC stream written in
record batches of BATCH rows, so memory stays bounded), `dataset_info.json` (the features:
class labels as `ClassLabel`, so `dataset.features["label"].names` gives the job's labels) and
`state.json`. pyarrow is an optional dependency: `pip install 'truthset[exports]'`.

Columns: classification as in CSV (`label` or `labels`, `confidence(s)`, `answers`,
`human_annotated`); boxes as the Hub's object detection datasets (`image`, `width`, `height`,
`objects`: {`bbox` [x, y, w, h], `category`, `confidence`}); named entities as `text` and
`entities`: [{`start`, `end`, `label`, `confidence`}].
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from truthset.deployment import Deployment
from truthset.errors import Invalid
from truthset.exports.ner import entities
from truthset.exports.records import ExportJob, LabeledObject
from truthset.exports.tabular import multilabel, row, source_key

BATCH = 5_000
DATA_FILE = "data-00000-of-00001.arrow"


def _value(dtype: str) -> dict[str, Any]:
    return {"dtype": dtype, "_type": "Value"}


def _list(feature: Any) -> dict[str, Any]:
    return {"feature": feature, "_type": "List"}


def features(job: ExportJob) -> dict[str, Any]:
    """The `datasets` Features of the export, as dataset_info.json writes them."""
    classes = {"names": list(job.labels), "_type": "ClassLabel"}
    common = {"answers": _value("int64"), "human_annotated": _value("bool")}
    if job.task_type == "named-entity-recognition":
        entity = {
            "start": _value("int64"),
            "end": _value("int64"),
            "label": classes,
            "confidence": _value("float64"),
        }
        return {
            "object_id": _value("int64"),
            "text": _value("string"),
            "entities": _list(entity),
            **common,
        }
    if job.task_type.startswith("bounding-box"):
        objects = {
            "bbox": _list(_list(_value("float64"))),
            "category": _list(classes),
            "confidence": _list(_value("float64")),
        }
        return {
            "object_id": _value("int64"),
            "image": _value("string"),
            "width": _value("int64"),
            "height": _value("int64"),
            "objects": objects,
            **common,
        }
    label = (
        {"labels": _list(classes), "confidences": _list(_value("float64"))}
        if multilabel(job)
        else {"label": classes, "confidence": _value("float64")}
    )
    return {"object_id": _value("int64"), source_key(job): _value("string"), **label, **common}


def _record(job: ExportJob, record: LabeledObject) -> dict[str, Any]:
    common = {"answers": record.answers, "human_annotated": not record.machine_labeled}
    if job.task_type == "named-entity-recognition":
        index = {name: k for k, name in enumerate(job.labels)}
        found = [
            {"start": s, "end": e, "label": index[label], "confidence": c}
            for s, e, label, c in entities(record)
        ]
        return {"object_id": record.object_id, "text": record.source, "entities": found, **common}
    if job.task_type.startswith("bounding-box"):
        size = record.value["image_size"][0]
        shapes = record.value["annotations"]
        return {
            "object_id": record.object_id,
            "image": record.source,
            "width": size["width"],
            "height": size["height"],
            "objects": {
                "bbox": [[float(b[k]) for k in ("left", "top", "width", "height")] for b in shapes],
                "category": [b["class_id"] for b in shapes],
                "confidence": [float(o["confidence"]) for o in record.metadata.get("objects", [])],
            },
            **common,
        }
    fields = row(job, record)
    index = {name: k for k, name in enumerate(job.labels)}
    if "labels" in fields:
        fields["labels"] = [index[name] for name in fields["labels"]]
    else:
        fields["label"] = index[fields["label"]]
    return fields


def _arrow_type(pa: Any, feature: dict[str, Any]) -> Any:
    kind = feature.get("_type")
    if kind == "Value":
        return {
            "int64": pa.int64(),
            "float64": pa.float64(),
            "string": pa.string(),
            "bool": pa.bool_(),
        }[feature["dtype"]]
    if kind == "ClassLabel":
        return pa.int64()
    if kind == "List":
        return pa.list_(_arrow_type(pa, feature["feature"]))
    return pa.struct([(name, _arrow_type(pa, sub)) for name, sub in feature.items()])


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError:
        raise Invalid(
            "the hf format needs pyarrow on the server: pip install 'truthset[exports]'"
        ) from None
    return pyarrow


def write(dep: Deployment, job: ExportJob, objects: Iterator[LabeledObject], folder: Path) -> int:
    pa = _pyarrow()
    described = features(job)
    metadata = {"huggingface": json.dumps({"info": {"features": described}})}
    schema = pa.schema(
        [(name, _arrow_type(pa, f)) for name, f in described.items()], metadata=metadata
    )
    count = 0
    digest = hashlib.sha256(job.name.encode())
    with pa.OSFile(str(folder / DATA_FILE), "wb") as sink, pa.ipc.new_stream(sink, schema) as out:
        batch: list[dict[str, Any]] = []
        for record in objects:
            batch.append(_record(job, record))
            digest.update(str(record.object_id).encode())
            count += 1
            if len(batch) == BATCH:
                out.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                batch = []
        if batch:
            out.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
    info = {
        "description": f"truthset labeling job {job.name}",
        "citation": "",
        "homepage": "",
        "license": "",
        "features": described,
    }
    (folder / "dataset_info.json").write_text(json.dumps(info, indent=2))
    state: dict[str, Any] = {
        "_data_files": [{"filename": DATA_FILE}],
        "_fingerprint": digest.hexdigest()[:16],
        "_format_columns": None,
        "_format_kwargs": {},
        "_format_type": None,
        "_output_all_columns": False,
        "_split": None,
    }
    (folder / "state.json").write_text(json.dumps(state, indent=2))
    return count
