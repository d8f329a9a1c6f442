"""Engine and transactions. SQLite runs in WAL mode with writes serialised in-process; PostgreSQL
uses ordinary READ COMMITTED transactions with row locks where dispatch needs them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event


class Database:
    def __init__(self, url: str, sqlite_synchronous: str = "NORMAL") -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _make_engine(url, sqlite_synchronous)
        # SQLite has one writer at a time. Queueing writers on a lock here is much cheaper than
        # letting them spin in SQLite's busy handler; other processes still use busy_timeout.
        self._write_lock = threading.Lock() if self.is_sqlite else None

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that will write: committed on success, rolled back on error."""
        if self._write_lock is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._write_lock, self.engine.connect() as raw:
            conn = raw.execution_options(sqlite_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A connection without an explicit transaction: each statement commits on its own
        (PostgreSQL's one-statement lease and answer; no BEGIN round trip)."""
        with self.engine.connect() as raw:
            yield raw.execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot on both databases)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str, sqlite_synchronous: str) -> Engine:
    if not url.startswith("sqlite"):
        # A small pool and no overflow: request threads queue for a connection instead of
        # opening more. An overflow connection is closed when it is given back, so under load
        # every few requests forked a fresh backend (authentication and all) for one statement.
        # No ping before each checkout: it was a second round trip for every one-statement lease
        # and answer. A connection the server dropped fails its request once and SQLAlchemy then
        # replaces the whole pool; recycling keeps connections younger than idle timeouts.
        return create_engine(url, pool_size=8, max_overflow=0, pool_recycle=1800)
    engine = create_engine(
        url, pool_size=8, max_overflow=32, connect_args={"check_same_thread": False, "timeout": 30}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN, so writers can ask for BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        # Setting the journal mode takes a lock the busy handler does not wait for: while
        # another connection writes, it failed "database is locked" though WAL was already on.
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL survives a killed process (a committed transaction is in the WAL file before
        # commit returns) but a power loss or OS crash can drop the last commits; FULL also
        # fsyncs the WAL at every commit (docs/deployment.md). The value comes from a Literal.
        cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("sqlite_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
