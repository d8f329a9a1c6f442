"""Manifests from .txt and .csv files (Ground Truth's automated data setup, reference 3.2)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from truthset import manifests
from truthset.cli.main import app
from truthset.errors import Invalid
from truthset.storage.local import LocalStorage

# Text of one line: anything but the characters that end a line for a text file reader.
line_text = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=40
).filter(lambda text: text.strip() != "")
# Text of one CSV cell: anything, newlines included (the csv module quotes them).
cell_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40).filter(
    lambda text: text.strip() != ""
)


def create(tmp_path: Path, name: str, data: bytes, column: str | None = None) -> list[object]:
    source = tmp_path / name
    source.write_bytes(data)
    output = tmp_path / "out.manifest"
    count = manifests.create_manifest(LocalStorage([tmp_path]), str(source), str(output), column)
    lines = output.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and len(lines) - 1 == count
    return [json.loads(line) for line in lines[:-1]]


def refused(tmp_path: Path, name: str, data: bytes, column: str | None = None) -> str:
    with pytest.raises(Invalid) as caught:
        create(tmp_path, name, data, column)
    assert not (tmp_path / "out.manifest").exists()
    return caught.value.message


def test_txt_one_object_per_line_blank_lines_skipped(tmp_path: Path) -> None:
    data = "\ufeffThe food was delicious\r\n\r\n   \n  indented, kept\nlast line\n".encode()
    assert create(tmp_path, "reviews.txt", data) == [
        {"source": "The food was delicious"},
        {"source": "  indented, kept"},
        {"source": "last line"},
    ]


def test_txt_is_written_as_readable_utf8_and_passes_validation(tmp_path: Path) -> None:
    lines = create(tmp_path, "texts.TXT", '日本語のテキスト 👩‍👩‍👧\ncafe\u0301 "quoted"'.encode())
    assert lines == [{"source": "日本語のテキスト 👩‍👩‍👧"}, {"source": 'cafe\u0301 "quoted"'}]
    raw = (tmp_path / "out.manifest").read_text(encoding="utf-8")
    assert "日本語" in raw  # not \\u escapes: a 20,000-character CJK line stays under the limit
    report = manifests.validate(LocalStorage([tmp_path]), str(tmp_path / "out.manifest"))
    assert report.objects == 2 and report.problem_count == 0


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(line_text, min_size=1, max_size=8), ending=st.sampled_from(["\n", "\r\n"]))
def test_txt_round_trips_any_lines(tmp_path: Path, texts: list[str], ending: str) -> None:
    data = ending.join(texts).encode()
    assert create(tmp_path, "any.txt", data) == [{"source": text} for text in texts]


def test_csv_named_column_default_text(tmp_path: Path) -> None:
    data = (
        '\ufeffid,text,stars\n1,"Great, really great",5\n2,"Two lines\nin one cell",3\n'
        '3,,1\n\n4,"He said ""no""",2\n'
    ).encode()
    assert create(tmp_path, "reviews.csv", data) == [
        {"source": "Great, really great"},
        {"source": "Two lines\nin one cell"},
        {"source": 'He said "no"'},
    ]
    assert create(tmp_path, "reviews.csv", data, column="stars") == [
        {"source": s} for s in ["5", "3", "1", "2"]
    ]


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(cell_text, min_size=1, max_size=8))
def test_csv_round_trips_any_cells(tmp_path: Path, texts: list[str]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["id", "review"])
    writer.writerows([index, text] for index, text in enumerate(texts))
    data = buffer.getvalue().encode()
    assert create(tmp_path, "any.csv", data, column="review") == [
        {"source": text} for text in texts
    ]


def test_csv_missing_column_names_the_columns_that_exist(tmp_path: Path) -> None:
    message = refused(tmp_path, "reviews.csv", b"id,review\n1,fine\n")
    assert message.endswith(
        "reviews.csv: no column named 'text'; the columns are 'id', 'review' "
        "(choose one with --column)"
    )
    assert "no column named 'Review'" in refused(
        tmp_path, "reviews.csv", b"id,review\n1,fine\n", column="Review"
    )


@pytest.mark.parametrize(
    ("name", "data", "column", "expected"),
    [
        ("empty.txt", b"", None, "empty.txt: no lines of text found"),
        ("blank.txt", b"\n \r\n\t\n", None, "blank.txt: no lines of text found"),
        ("empty.csv", b"", None, "empty.csv: no rows with text found"),
        ("header.csv", b"text\n", None, "header.csv: no rows with text found"),
        ("cells.csv", b"id,text\n1,\n2,  \n", None, "cells.csv: no rows with text found"),
        ("latin1.txt", "caf\u00e9\n".encode("latin-1"), None, "latin1.txt: not UTF-8 text"),
        ("short.csv", b"id,text\n1,ok\n2\n", None, "short.csv: row 3 has no 'text' cell"),
        ("a.txt", b"x\n", "text", "a.txt: a column can only be chosen for a .csv file"),
        (
            "long.txt",
            b"ok\n" + b"x" * 20_001 + b"\n",
            None,
            "long.txt: line 2 is longer than 20000 characters",
        ),
    ],
)
def test_clear_errors_and_no_manifest_left_behind(
    tmp_path: Path, name: str, data: bytes, column: str | None, expected: str
) -> None:
    assert refused(tmp_path, name, data, column).endswith(expected)


def test_a_folder_still_lists_images(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(b"x")
    (tmp_path / "images" / "notes.txt").write_text("not an image\n")
    output = tmp_path / "out.manifest"
    storage = LocalStorage([tmp_path])
    assert manifests.create_manifest(storage, str(tmp_path / "images"), str(output)) == 1
    assert json.loads(output.read_text()) == {"source-ref": str(tmp_path / "images" / "a.png")}


def test_cli_manifest_create_from_csv(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "reviews.csv").write_text("id,review\n1,Loved it\n2,Never again\n")
    base = [
        "--data-dir",
        str(data),
        "--database-url",
        f"sqlite:///{tmp_path / 'cli.db'}",
    ]
    env = {"TRUTHSET_SECRET_KEY": "cli-test-key"}
    runner = CliRunner()
    source, output = str(data / "reviews.csv"), str(data / "reviews.manifest")
    result = runner.invoke(app, [*base, "manifest", "create", source, "-o", output], env=env)
    assert result.exit_code == 1
    assert "no column named 'text'; the columns are 'id', 'review'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    result = runner.invoke(
        app, [*base, "manifest", "create", source, "-o", output, "--column", "review"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "2 objects written" in result.output
    assert (data / "reviews.manifest").read_text().splitlines() == [
        '{"source": "Loved it"}',
        '{"source": "Never again"}',
    ]
