"""PostgreSQL connections are not pinged before each use (db/engine.py): when the server drops
them (a restart, an idle timeout, an admin's pg_terminate_backend), a request fails at most once
per process and the next ones get fresh connections, as docs/postgresql.md says."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.support import postgres
from truthset.db.engine import Database


def _drop_connections(database_url: str) -> int:
    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (url.database,),
        ).fetchall()
    return len(rows)


@pytest.fixture
def database_url(pg_admin_url: str, pg_template: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield postgres.create_database(pg_admin_url, name, pg_template)
    postgres.drop_database(pg_admin_url, name)


def _ask(db: Database) -> int:
    with db.read() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM jobs")) or 0)


def test_dropped_connections_cost_one_failed_request(database_url: str) -> None:
    db = Database(database_url)
    # Fill the pool with several idle connections, as a busy server has.
    held = [db.engine.connect() for _ in range(4)]
    for conn in held:
        conn.execute(text("SELECT 1"))
        conn.close()
    assert _drop_connections(database_url) >= 4
    failures = 0
    for _ in range(6):
        try:
            assert _ask(db) == 0
        except DBAPIError as error:
            assert error.connection_invalidated
            failures += 1
    assert failures == 1  # the first request meets a dropped connection; the pool is replaced
    assert _ask(db) == 0
    db.dispose()
