"""The Alembic migrations build exactly the schema the code declares, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from truthset.db.tables import Base
from truthset.deployment import Deployment


def test_migrations_match_the_tables(dep: Deployment) -> None:
    with dep.db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []
