"""Counting audit entries around an action."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select

from truthset.db.tables import AuditEntry
from truthset.deployment import Deployment


def all_entries(dep: Deployment) -> list[Any]:
    with dep.db.read() as conn:
        return list(conn.execute(select(AuditEntry.__table__).order_by(AuditEntry.id)))


@contextmanager
def leaves_one(dep: Deployment, action: str) -> Iterator[list[Any]]:
    """Asserts the block leaves exactly one new entry, of `action`; yields it (after the block)."""
    before = {row.id for row in all_entries(dep)}
    found: list[Any] = []
    yield found
    new = [row for row in all_entries(dep) if row.id not in before]
    assert [row.action for row in new] == [action], [(r.action, r.detail) for r in new]
    found.extend(new)
