"""docs/index.md leads to every guide, and README leads to docs/index.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def links(path: Path) -> set[str]:
    return {(path.parent / target).resolve().name for target in LINK.findall(path.read_text())}


def test_every_guide_is_linked_from_the_index() -> None:
    linked = links(ROOT / "docs" / "index.md")
    guides = {path.name for path in (ROOT / "docs").glob("*.md")} - {"index.md"}
    assert guides - linked == set(), "add these to docs/index.md"


def test_readme_links_the_index() -> None:
    assert "docs/index.md" in LINK.findall((ROOT / "README.md").read_text())
