"""docs/ stays true to the code: the references are generated, and must match."""

from __future__ import annotations

from pathlib import Path

from truthset.cli.main import app
from truthset.cli.reference import api_markdown, cli_markdown, settings_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_cli_reference_is_current() -> None:
    assert (DOCS / "cli.md").read_text() == cli_markdown(app), "run `make docs`"


def test_settings_reference_is_current() -> None:
    assert (DOCS / "settings.md").read_text() == settings_markdown(), "run `make docs`"


def test_api_reference_is_current() -> None:
    assert (DOCS / "api.md").read_text() == api_markdown(), "run `make docs`"


def test_readme_names_the_two_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
