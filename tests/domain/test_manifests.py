"""Manifest parsing: every problem found, with its line number (hypothesis for the parser)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from truthset import manifests
from truthset.errors import Invalid
from truthset.storage.local import LocalStorage

ROOT = Path("/data/images")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


def check(uri: str) -> None:
    LocalStorage([ROOT]).path(uri) if not uri.startswith("s3://") else None


@given(
    extra=st.dictionaries(
        st.text(min_size=1, max_size=10).filter(
            lambda k: not k.startswith("$") and k != "source-ref"
        ),
        json_values,
        max_size=4,
    ),
    name=st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=12),
)
def test_valid_lines_round_trip(extra: dict[str, object], name: str) -> None:
    line = {"source-ref": f"/data/images/{name}.png", **extra}
    parsed = manifests.parse_line(json.dumps(line), 1, ("source-ref",), lambda uri: None)
    assert parsed == line


@given(st.text(max_size=50))
def test_any_text_is_either_parsed_or_refused_with_its_line_number(text: str) -> None:
    try:
        parsed = manifests.parse_line(text, 7, ("source-ref", "source"), lambda uri: None)
    except Invalid as error:
        assert error.message.startswith("line 7: ")
    else:
        assert isinstance(parsed, dict) and ("source-ref" in parsed or "source" in parsed)


@given(st.lists(st.sampled_from(["ok", "bad", "blank"]), min_size=1, max_size=30))
def test_read_lines_numbers_every_line_up_to_the_last_content(kinds: list[str]) -> None:
    text = "".join({"ok": '{"source": "x"}\n', "bad": "{\n", "blank": "\n"}[k] for k in kinds)
    numbers = sorted(n for n, _text, _problem in manifests.read_lines(io.BytesIO(text.encode())))
    last_content = max((i + 1 for i, k in enumerate(kinds) if k != "blank"), default=0)
    assert numbers == list(range(1, last_content + 1))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"source-ref": 3}', "must be a non-empty string"),
        ('{"source-ref": "/etc/shadow"}', "outside the allowed data roots"),
        ('{"source-ref": "relative.png"}', "absolute path"),
        ('{"source-ref": "/data/images/a.png", "$bad": 1}', r"must not start with '\$'"),
        (
            '{"source-ref": "/data/images/a.png", "long": "' + "y" * 20_001 + '"}',
            "longer than 20000",
        ),
        ('{"source-ref": "/data/images/../../etc/passwd"}', "outside the allowed data roots"),
        ("[1, 2]", "must be a JSON object"),
        ('{"source-ref": "/data/images/a.png"', "not valid JSON"),
    ],
)
def test_problems(line: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        manifests.parse_line(line, 1, ("source-ref",), check)


def test_validate_reports_blank_lines_inside_but_not_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "m.manifest"
    path.write_bytes(b'{"source": "a"}\n\n{"source": "b"}\r\n\xff\xfe\n{"source": "c"}\n\n\n')
    report = manifests.validate(LocalStorage([tmp_path]), str(path))
    assert report.objects == 3
    assert report.problems == [
        "line 2: empty line; each line must hold one JSON object",
        "line 4: not UTF-8 text",
    ]


def test_overlong_line_is_reported_without_reading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "m.manifest"
    path.write_bytes(b'{"source": "' + b"z" * 500_000 + b'"}\n{"source": "ok"}\n')
    report = manifests.validate(LocalStorage([tmp_path]), str(path))
    assert report.objects == 1 and report.problems == ["line 1: longer than 100000 characters"]


def test_create_manifest_lists_images_recursively(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    for name in ("a/1.PNG", "a/b/2.jpg", "a/b/3.jpeg", "a/notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    storage = LocalStorage([tmp_path])
    count = manifests.create_manifest(storage, str(tmp_path / "a"), str(tmp_path / "out.manifest"))
    lines = [json.loads(x) for x in (tmp_path / "out.manifest").read_text().splitlines()]
    assert count == 3
    assert [Path(line["source-ref"]).name for line in lines] == ["1.PNG", "2.jpg", "3.jpeg"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(Invalid, match=r"no \.jpg"):
        manifests.create_manifest(storage, str(tmp_path / "empty"), str(tmp_path / "x.manifest"))
    assert not (tmp_path / "x.manifest").exists()


def test_unpaired_surrogate_escapes_are_refused() -> None:
    with pytest.raises(Invalid, match="unpaired surrogate"):
        manifests.parse_line('{"source": "a\\ud800b"}', 3, ("source",), lambda uri: None)
    assert manifests.parse_line(
        '{"source": "\\ud83d\\ude00"}', 1, ("source",), lambda uri: None
    ) == {"source": "😀"}
