"""Every setting set from the environment exactly as docs/settings.md writes it, and read back.

The cases are generated from the settings model: a new setting gets a case without anyone
writing one, and a list setting is written the way its description says (colon- or
comma-separated), never as the JSON list pydantic-settings would want by default.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic.fields import FieldInfo
from typer.testing import CliRunner

from tests.support.factories import write_images
from truthset.cli.main import app
from truthset.settings import Settings

# Values the field's own checks demand (an account id of 12 digits, a network, an origin).
_SPECIAL: dict[str, list[str]] = {
    "sagemaker_account_id": ["123456789012"],
    "trusted_proxies": ["10.0.0.1", "192.168.0.0/16"],
    "workforce_cidrs": ["10.1.0.0/16", "2001:db8::/32"],
    "admin_cidrs": ["127.0.0.1/32"],
    "template_origins": ["https://cdn.example.com", "https://fonts.example.org"],
    "data_roots": ["/srv/mammo", "/mnt/scans"],
}


def _base(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _env_cases(name: str, field: FieldInfo) -> list[tuple[str, Any]]:
    """(environment value as documented, value expected back) pairs for one setting."""
    kind = _base(field.annotation)
    description = field.description or ""
    if typing.get_origin(kind) is list:
        items = _SPECIAL.get(name, ["first-item", "second-item"])
        item_type = typing.get_args(kind)[0]
        expected = [item_type(item) for item in items]
        separator = ":" if "colon-separated" in description else ","
        assert "separated" in description, f"{name}: the description must say how to list"
        # Two items, one item (a single path is the common case), and the old JSON form.
        return [
            (separator.join(items), expected),
            (items[0], expected[:1]),
            (json.dumps(items), expected),
        ]
    if typing.get_origin(kind) is dict:
        assert "JSON object" in description
        return [('{"prompt": "login"}', {"prompt": "login"})]
    if typing.get_origin(kind) is typing.Literal:
        return [(choice, choice) for choice in typing.get_args(kind)]
    if kind is bool:
        return [("true", True), ("false", False), ("1", True), ("0", False)]
    if kind is int:
        return [("7", 7)]
    if kind is float:
        return [("2.5", 2.5)]
    if kind is Path:
        return [("/srv/truthset", Path("/srv/truthset"))]
    if name in _SPECIAL:
        return [(_SPECIAL[name][0], _SPECIAL[name][0])]
    return [("https://example.org/some value", "https://example.org/some value")]


CASES = [
    pytest.param(name, text, expected, id=f"{name}={text}")
    for name, field in Settings.model_fields.items()
    for text, expected in _env_cases(name, field)
]


def _read_back(value: Any) -> Any:
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


@pytest.mark.parametrize(("name", "text", "expected"), CASES)
def test_setting_from_environment(
    name: str, text: str, expected: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"TRUTHSET_{name.upper()}", text)
    assert _read_back(getattr(Settings(), name)) == expected


def test_every_setting_has_a_case() -> None:
    assert {case.values[0] for case in CASES} == set(Settings.model_fields)


@pytest.mark.parametrize("separator", [":", None])
def test_cli_reads_data_roots_from_environment(tmp_path: Path, separator: str | None) -> None:
    """README: `export TRUTHSET_DATA_ROOTS=$HOME/mammo`, then a manifest of images there."""
    mammo, other = tmp_path / "mammo", tmp_path / "other"
    write_images(mammo, 2)
    other.mkdir()
    roots = str(mammo) if separator is None else f"{other}{separator}{mammo}"
    env = {"TRUTHSET_DATA_ROOTS": roots, "TRUTHSET_DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()
    manifest = tmp_path / "data" / "mammo.manifest"
    made = runner.invoke(app, ["manifest", "create", str(mammo), "-o", str(manifest)], env=env)
    assert made.exit_code == 0, made.output
    checked = runner.invoke(app, ["manifest", "validate", str(manifest)], env=env)
    assert checked.exit_code == 0 and "no problems" in checked.output, checked.output
