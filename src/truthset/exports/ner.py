"""Named entity recognition: spaCy's DocBin (the `.spacy` files `spacy train` reads) and CoNLL-2003.

DocBin: texts tokenized by `spacy.blank("en")`, each entity a `doc.ents` span (a span that
does not fall on token edges grows to them), written in shards of SHARD documents
(`docs-00000.spacy`, ...; `spacy train` reads a folder of them) so memory stays bounded. Each
doc's `user_data` holds `object_id`, `answers` and `entities` ([start, end, label, confidence]
per consolidated entity). spaCy is an optional dependency: `pip install 'truthset[exports]'`.

CoNLL: `labels.conll`, one `token -X- _ TAG` line per token (IOB2 tags: B-LABEL, I-LABEL, O),
a `-DOCSTART- -X- O O` line and a blank line before each object. Tokens are runs of word
characters or single other characters. CoNLL has no room for confidences.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from truthset.deployment import Deployment
from truthset.errors import Invalid
from truthset.exports.records import ExportJob, LabeledObject

SHARD = 5_000
TOKEN = re.compile(r"\w+|[^\w\s]")


def entities(record: LabeledObject) -> list[tuple[int, int, str, float]]:
    """(start, end, label, confidence) of each consolidated entity, in the label's order."""
    found = record.value["annotations"]["entities"]
    confidences = [e["confidence"] for e in record.metadata.get("entities", [])]
    return [
        (e["startOffset"], e["endOffset"], e["label"], float(c))
        for e, c in zip(found, confidences, strict=True)
    ]


def write_conll(
    dep: Deployment, job: ExportJob, objects: Iterator[LabeledObject], folder: Path
) -> int:
    count = 0
    with (folder / "labels.conll").open("w", encoding="utf-8") as out:
        for record in objects:
            out.write("-DOCSTART- -X- O O\n\n")
            out.write("".join(f"{token} -X- _ {tag}\n" for token, tag in iob_tags(record)))
            out.write("\n")
            count += 1
    return count


def iob_tags(record: LabeledObject) -> list[tuple[str, str]]:
    """Each token of the text with its IOB2 tag; a token inside an entity (any overlap) is
    tagged with it, the first token of each entity with B-."""
    spans = sorted(entities(record))
    tagged: list[tuple[str, str]] = []
    previous: tuple[int, int, str, float] | None = None
    for match in TOKEN.finditer(record.source):
        start, end = match.span()
        inside = next((s for s in spans if s[0] < end and s[1] > start), None)
        if inside is None:
            tagged.append((match.group(), "O"))
        else:
            prefix = "I" if inside == previous else "B"
            tagged.append((match.group(), f"{prefix}-{inside[2]}"))
        previous = inside
    return tagged


def _spacy() -> Any:
    try:
        import spacy
        from spacy.tokens import DocBin
        from spacy.util import filter_spans
    except ImportError:
        raise Invalid(
            "the spacy format needs spaCy on the server: pip install 'truthset[exports]'"
        ) from None
    return spacy.blank("en"), DocBin, filter_spans


def write_docbin(
    dep: Deployment, job: ExportJob, objects: Iterator[LabeledObject], folder: Path
) -> int:
    nlp, doc_bin_class, filter_spans = _spacy()
    count = 0
    shard = doc_bin_class(store_user_data=True)
    for record in objects:
        doc = nlp.make_doc(record.source)
        found = entities(record)
        spans = [
            doc.char_span(start, end, label=label, alignment_mode="expand")
            for start, end, label, _confidence in found
        ]
        doc.ents = filter_spans([s for s in spans if s is not None])
        doc.user_data["object_id"] = record.object_id
        doc.user_data["answers"] = record.answers
        doc.user_data["entities"] = [list(e) for e in found]
        shard.add(doc)
        count += 1
        if count % SHARD == 0:
            shard.to_disk(folder / f"docs-{count // SHARD - 1:05d}.spacy")
            shard = doc_bin_class(store_user_data=True)
    if count % SHARD or not count:
        shard.to_disk(folder / f"docs-{count // SHARD:05d}.spacy")
    return count
