"""`truthset consolidate` through Typer's CliRunner, on a small app that registers it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from truthset.cli.consolidate import consolidate


def cli_app() -> typer.Typer:
    app = typer.Typer()
    app.command("consolidate")(consolidate)

    @app.callback()
    def root() -> None:
        """A stand-in for the real `truthset` root command."""

    return app


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli_app(), ["consolidate", *args])
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


ANSWERS = """item,worker,label
"img, 1",ann,cat
"img, 1",bob,cat
"img, 1",cy,dog
été,ann,dog
été,bob,dog
été,cy,dog
x3,ann,cat
x3,bob,dog
"""


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("method", ["default", "majority", "dawid-skene", "bayes-ds"])
def test_writes_labels_with_the_input_ids(tmp_path: Path, method: str) -> None:
    answers = write(tmp_path / "answers.csv", ANSWERS)
    out = tmp_path / "labels.csv"
    code, stdout, stderr = run(str(answers), "-o", str(out), "--method", method)
    assert code == 0, stderr
    rows = read_csv(out)
    assert [r["item"] for r in rows] == ["img, 1", "été", "x3"]
    assert rows[0]["label"] == "cat"
    assert rows[1]["label"] == "dog"
    for row in rows:
        assert 0.0 <= float(row["confidence"]) <= 1.0
        assert len(row["confidence"].split(".")[1]) == 4
    assert "3 items, 3 workers, 8 answers" in stdout


def test_gold_and_worker_skill(tmp_path: Path) -> None:
    answers = write(tmp_path / "answers.csv", ANSWERS)
    gold = write(tmp_path / "gold.csv", "item,label\nx3,dog\nunknown-item,cat\n")
    out, skill = tmp_path / "labels.csv", tmp_path / "workers.csv"
    code, _, stderr = run(
        str(answers),
        "--gold",
        str(gold),
        "-o",
        str(out),
        "--workers-out",
        str(skill),
        "--seed",
        "3",
    )
    assert code == 0, stderr
    labels = {r["item"]: r for r in read_csv(out)}
    assert labels["x3"]["label"] == "dog"
    assert labels["x3"]["confidence"] == "1.0000"
    workers = {r["worker"]: r for r in read_csv(skill)}
    assert set(workers) == {"ann", "bob", "cy"}
    assert workers["ann"]["answers"] == "3"
    assert workers["ann"]["gold_accuracy"] == "0.0000"
    assert workers["bob"]["gold_accuracy"] == "1.0000"
    assert workers["cy"]["gold_accuracy"] == ""  # answered no gold item
    assert 0 <= float(workers["cy"]["estimated_accuracy"]) <= 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "answers.csv: empty file"),
        ("item,worker\n1,a\n", "answers.csv:1: missing column label"),
        ("item,worker,label\n", "answers.csv: no answers"),
        ("item,worker,label\n1,a,x\n2,b\n", "answers.csv:3: 2 fields, expected 3"),
        ("item,worker,label\n1,a,x\n2,,y\n", "answers.csv:3: empty worker"),
    ],
)
def test_bad_answers_give_one_line_and_exit_1(tmp_path: Path, content: str, message: str) -> None:
    answers = write(tmp_path / "answers.csv", content)
    code, _, stderr = run(str(answers), "-o", str(tmp_path / "out.csv"))
    assert code == 1
    assert message in stderr
    assert stderr.count("\n") == 1
    assert "Traceback" not in stderr
    assert not (tmp_path / "out.csv").exists()


def test_bad_gold_names_file_and_line(tmp_path: Path) -> None:
    answers = write(tmp_path / "answers.csv", ANSWERS)
    gold = write(tmp_path / "gold.csv", "item,label\nx3,dog\nx3,horse\n")
    code, _, stderr = run(str(answers), "--gold", str(gold), "-o", str(tmp_path / "o.csv"))
    assert code == 1
    assert "gold.csv:3: label 'horse' appears in no answer" in stderr
    write(gold, "item,label\nx3,dog\nx3,cat\n")
    code, _, stderr = run(str(answers), "--gold", str(gold), "-o", str(tmp_path / "o.csv"))
    assert "gold.csv:3: item 'x3' has two gold labels" in stderr


def test_unknown_method_and_missing_file(tmp_path: Path) -> None:
    answers = write(tmp_path / "answers.csv", ANSWERS)
    code, _, stderr = run(str(answers), "--method", "magic", "-o", str(tmp_path / "o.csv"))
    assert code == 1
    assert "unknown consolidation method 'magic'" in stderr
    code, _, stderr = run(str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv"))
    assert code == 1
    assert "nope.csv: cannot read" in stderr
    code, _, stderr = run(str(answers), "-o", str(tmp_path / "no-such-dir" / "o.csv"))
    assert code == 1
    assert "cannot write" in stderr


def test_repeated_answers_keep_the_first(tmp_path: Path) -> None:
    answers = write(tmp_path / "a.csv", "item,worker,label\n1,w,cat\n1,w,dog\n1,v,cat\n")
    code, stdout, _ = run(str(answers), "-o", str(tmp_path / "o.csv"))
    assert code == 0
    assert "2 answers" in stdout
