"""Readiness: the database answers and its schema is at this version's newest migration."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from truthset.db.migrate import alembic_config
from truthset.deployment import Deployment

_HEADS: set[str] = set()


def _heads() -> set[str]:
    if not _HEADS:
        _HEADS.update(ScriptDirectory.from_config(alembic_config()).get_heads())
    return _HEADS


def readiness(dep: Deployment) -> list[str]:
    """What keeps this server from taking traffic (empty: ready)."""
    try:
        with dep.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
    except SQLAlchemyError as error:
        return [f"database unreachable: {type(error).__name__}"]
    if current != _heads():
        return [f"database schema at {sorted(current)}, this version needs {sorted(_heads())}"]
    return []
