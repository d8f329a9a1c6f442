"""SQLite's dispatch hot path on the driver's own cursor.

A lease or an answer on SQLite is six to eight short statements in one write transaction, and
on two cores SQLAlchemy's per-statement work (cache key, parameter and result processing,
events) cost several times the statement itself: about 110 us against 15 us. The statements
stay the prebuilt Core ones of db/dispatch_queries.py, compiled once each for SQLite here and
run on the connection's sqlite3 cursor, inside the same transaction. Values are stored exactly
as SQLAlchemy's SQLite types store them (DATETIME as `YYYY-MM-DD HH:MM:SS.ffffff` text,
booleans as 0 and 1), so both paths read and write the same rows.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.base import Executable
from sqlalchemy.types import Boolean, DateTime

_DIALECT = sqlite.dialect(paramstyle="qmark")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the bind parameters in placeholder order
    fixed: dict[str, Any]  # values the statement itself binds (literals in its conditions)
    row: Any  # the namedtuple type of result rows, or None without a result
    datetimes: tuple[int, ...]  # result columns to parse back into datetimes
    booleans: tuple[int, ...]


_compiled: dict[tuple[int, tuple[str, ...]], tuple[Executable, _Compiled]] = {}


def _compile(statement: Executable, keys: tuple[str, ...]) -> _Compiled:
    # An INSERT without .values() takes its columns from the parameters given.
    compiled = statement.compile(dialect=_DIALECT, column_keys=list(keys))  # type: ignore[attr-defined]
    names = tuple(compiled.positiontup or ())
    fixed = {
        name: value
        for name, value in compiled.params.items()
        if name not in keys and not compiled.binds[name].required
    }
    missing = [name for name in names if name not in fixed and name not in keys]
    if missing:
        raise ValueError(f"no value for {missing} in {compiled.string!r}")
    columns = list(getattr(statement, "exported_columns", ()))
    row = namedtuple("Row", [column.key for column in columns]) if columns else None
    return _Compiled(
        sql=compiled.string,
        names=names,
        fixed=fixed,
        row=row,
        datetimes=tuple(i for i, c in enumerate(columns) if isinstance(c.type, DateTime)),
        booleans=tuple(i for i, c in enumerate(columns) if isinstance(c.type, Boolean)),
    )


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        # SQLAlchemy's SQLite DATETIME storage format (always with microseconds).
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def _row(compiled: _Compiled, values: tuple[Any, ...]) -> Any:
    if compiled.datetimes or compiled.booleans:
        items = list(values)
        for i in compiled.datetimes:
            if items[i] is not None:
                items[i] = datetime.fromisoformat(items[i])
        for i in compiled.booleans:
            if items[i] is not None:
                items[i] = bool(items[i])
        values = tuple(items)
    return compiled.row(*values)


@dataclass
class Result:
    rows: list[Any]
    rowcount: int

    def first(self) -> Any:
        return self.rows[0] if self.rows else None

    def one(self) -> Any:
        if len(self.rows) != 1:
            raise LookupError(f"expected one row, got {len(self.rows)}")
        return self.rows[0]

    def all(self) -> list[Any]:
        return self.rows

    def scalar_one(self) -> Any:
        return self.one()[0]


def run(conn: Connection, statement: Executable, params: dict[str, Any]) -> Any:
    """A hot-path statement: on SQLite's cursor, elsewhere through SQLAlchemy (the results
    answer first, one, all, scalar_one and rowcount alike)."""
    if conn.dialect.name == "sqlite":
        return execute(conn, statement, params)
    return conn.execute(statement, params)


def execute(conn: Connection, statement: Executable, params: dict[str, Any]) -> Result:
    """Runs a prebuilt statement on the connection's sqlite3 cursor (in its transaction)."""
    keys = tuple(sorted(params))
    found = _compiled.get((id(statement), keys))
    if found is None or found[0] is not statement:
        found = _compiled[(id(statement), keys)] = (statement, _compile(statement, keys))
    compiled = found[1]
    values = tuple(
        _value(params[name] if name in params else compiled.fixed[name]) for name in compiled.names
    )
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    # Listeners on the engine's cursor events (tracing, the dispatch-cost tests) still see
    # every statement, as SQLAlchemy would show it to them.
    events = conn.dispatch
    try:
        for listener in events.before_cursor_execute:
            listener(conn, cursor, compiled.sql, values, None, False)
        cursor.execute(compiled.sql, values)
        rows = [_row(compiled, r) for r in cursor.fetchall()] if compiled.row else []
        for listener in events.after_cursor_execute:
            listener(conn, cursor, compiled.sql, values, None, False)
        return Result(rows, cursor.rowcount)
    finally:
        cursor.close()
