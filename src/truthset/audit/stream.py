"""Audit entries out of the database: the JSON-lines stream for a SIEM (a file or syslog) and
`truthset audit export` in JSON lines or CSV."""

from __future__ import annotations

import csv
import io
import json
import logging
import logging.handlers
import threading
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from truthset.audit.entry import canonical

COLUMNS = (
    "seq",
    "id",
    "at",
    "actor",
    "actor_id",
    "action",
    "job",
    "object_id",
    "address",
    "request_id",
    "detail",
    "hash",
)
_lock = threading.Lock()
Sink = Callable[[list[dict[str, Any]]], None]


@lru_cache(maxsize=4)
def sink_for(target: str) -> Sink | None:
    """The sink the setting names: a file path (appended to), `syslog` (the local socket) or
    `syslog://host:port` (UDP); None when empty."""
    if not target:
        return None
    if target == "syslog" or target.startswith("syslog://"):
        return _syslog_sink(target)

    def to_file(entries: list[dict[str, Any]]) -> None:
        text = "".join(_line(entry) + "\n" for entry in entries)
        with _lock, open(target, "a", encoding="utf-8") as handle:
            handle.write(text)

    return to_file


def _syslog_sink(target: str) -> Sink:
    if target == "syslog":
        address: str | tuple[str, int] = "/dev/log"
    else:
        parts = urlsplit(target)
        address = (parts.hostname or "127.0.0.1", parts.port or 514)
    handler = logging.handlers.SysLogHandler(
        address=address, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV
    )
    handler.setFormatter(logging.Formatter("truthset-audit: %(message)s"))
    logger = logging.Logger("truthset.audit.syslog")
    logger.addHandler(handler)

    def to_syslog(entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            logger.info(_line(entry))

    return to_syslog


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def as_dict(row: Any) -> dict[str, Any]:
    """A stored entry as exported: the hashed fields plus its hash (unsealed: seq null)."""
    entry = json.loads(canonical(row, row.seq))
    return {**entry, "hash": row.hash}


def jsonl(rows: Iterable[Any]) -> Iterator[str]:
    for row in rows:
        yield _line(as_dict(row)) + "\n"


def csv_lines(rows: Iterable[Any]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        entry = as_dict(row)
        entry["detail"] = json.dumps(entry["detail"], sort_keys=True, separators=(",", ":"))
        writer.writerow([_cell(entry[name]) for name in COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


def _cell(value: Any) -> Any:
    # A spreadsheet would run a cell starting with these as a formula (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value
