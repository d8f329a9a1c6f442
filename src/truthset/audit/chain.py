"""The hash chain: each sealed entry's hash covers the previous entry's hash and the canonical
JSON of the entry, in `seq` order, so a row deleted or changed in the database shows.

Appending is one INSERT without a lock (audit/trail.py), so dispatch pays no more than that; the
sealer then gives unsealed rows their place in the chain. Sealers are serialised (PostgreSQL: a
transaction-scoped advisory lock; SQLite: the database write lock), so several server processes
keep one chain. The runner seals on every pass; `audit verify` and exports seal first.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update

from truthset.audit.entry import GENESIS, canonical, entry_hash
from truthset.audit.stream import sink_for
from truthset.db.tables import AuditAnchor, AuditEntry
from truthset.deployment import Deployment

# pg_advisory_xact_lock key: "audit" in ASCII, so it collides with no other lock of ours.
log = logging.getLogger(__name__)
_LOCK_KEY = 0x6175646974
_SEAL_BATCH = 500
_SEAL_ROW = (
    update(AuditEntry)
    .where(AuditEntry.id == bindparam("b_id"), AuditEntry.seq.is_(None))
    .values(seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), hash=bindparam("b_hash"))
)


def _lock(conn: Connection, dep: Deployment) -> None:
    if not dep.db.is_sqlite:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def _head(conn: Connection) -> tuple[int, str]:
    """The last sealed (seq, hash); the anchor's when pruning removed every sealed row."""
    row = conn.execute(
        select(AuditEntry.seq, AuditEntry.hash)
        .where(AuditEntry.seq.is_not(None))
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    if row is not None:
        return int(row.seq), str(row.hash)
    anchor = conn.execute(select(AuditAnchor.seq, AuditAnchor.hash)).first()
    return (int(anchor.seq), str(anchor.hash)) if anchor is not None else (0, GENESIS)


def seal(dep: Deployment) -> int:
    """Puts every unsealed entry into the chain (oldest id first); returns how many. The
    sealed entries go to the JSON-lines stream (setting audit_log) in chain order, each once."""
    with dep.db.read() as conn:
        # Most passes find nothing to seal: they need not queue for the write lock.
        waiting = conn.scalar(select(AuditEntry.id).where(AuditEntry.seq.is_(None)).limit(1))
    if waiting is None:
        return 0
    sink = sink_for(dep.settings.audit_log)
    total = 0
    while True:
        with dep.db.read() as conn:
            # The head first: PostgreSQL's read committed gives each statement its own
            # snapshot, and rows read before a head another sealer moved would be chained
            # after it, leaving a gap. Read after, they are unsealed or the head check fails.
            head = _head(conn)
            rows = list(
                conn.execute(
                    select(AuditEntry.__table__)
                    .where(AuditEntry.seq.is_(None))
                    .order_by(AuditEntry.id)
                    .limit(_SEAL_BATCH)
                )
            )
        # Hashing happens outside the write lock (dispatch waits for it on SQLite); the write
        # then only checks that no other sealer moved the head meanwhile, and updates.
        links, sealed = _links(rows, head)
        with dep.db.write() as conn:
            _lock(conn, dep)
            if _head(conn) != head:
                continue  # another process sealed first: start again from its head
            if links:
                conn.execute(_SEAL_ROW, links)
        if sealed and sink is not None:
            try:
                sink(sealed)
            except OSError:
                # The entries are safe in the database; the stream catches up with nothing.
                log.exception(
                    "could not stream %d audit entries to %s", len(sealed), dep.settings.audit_log
                )
        total += len(rows)
        if len(rows) < _SEAL_BATCH:
            return total


def _links(
    rows: list[Any], head: tuple[int, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The chain columns for each row after the head (one executemany's parameters), and the
    sealed entries as the JSON-lines stream writes them."""
    seq, prev = head
    links, sealed = [], []
    for row in rows:
        seq += 1
        digest = entry_hash(prev, row, seq)
        links.append({"b_id": row.id, "b_seq": seq, "b_prev": prev, "b_hash": digest})
        sealed.append({**json.loads(canonical(row, seq)), "hash": digest})
        prev = digest
    return links, sealed


@dataclass
class Verdict:
    checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(dep: Deployment) -> Verdict:
    """Walks the chain from the anchor (or the start) and reports every break: a missing seq
    (a row deleted), a hash that does not match the row (a row changed), a broken link."""
    seal(dep)
    verdict = Verdict()
    with dep.db.read() as conn:
        anchor = conn.execute(select(AuditAnchor.seq, AuditAnchor.hash)).first()
    expected_seq, prev = (int(anchor.seq), str(anchor.hash)) if anchor else (0, GENESIS)
    after = expected_seq
    while True:
        with dep.db.read() as conn:
            rows = list(
                conn.execute(
                    select(AuditEntry.__table__)
                    .where(AuditEntry.seq > after)
                    .order_by(AuditEntry.seq)
                    .limit(_SEAL_BATCH)
                )
            )
        for row in rows:
            expected_seq += 1
            if row.seq != expected_seq:
                verdict.problems.append(_gap(expected_seq, row.seq))
                expected_seq = row.seq
            elif row.prev_hash != prev:
                verdict.problems.append(f"entry {row.seq}: the link to the entry before is broken")
            if entry_hash(row.prev_hash or "", row, row.seq) != row.hash:
                verdict.problems.append(f"entry {row.seq} (id {row.id}) was changed")
            prev = str(row.hash)
            verdict.checked += 1
        if len(rows) < _SEAL_BATCH:
            break
        after = rows[-1].seq
    verdict.head_seq, verdict.head_hash = expected_seq, prev
    return verdict


def _gap(expected: int, found: int) -> str:
    if found == expected + 1:
        return f"entry {expected} is missing (deleted)"
    return f"entries {expected} to {found - 1} are missing (deleted)"


def prune(dep: Deployment) -> int:
    """Removes sealed entries older than the retention setting, keeping the chain verifiable:
    the last removed entry's seq and hash become the anchor the chain starts from."""
    days = dep.settings.audit_retention_days
    if days <= 0:
        return 0
    cutoff = dep.clock.now() - timedelta(days=days)
    with dep.db.write() as conn:
        _lock(conn, dep)
        last = conn.execute(
            select(AuditEntry.seq, AuditEntry.hash)
            .where(AuditEntry.seq.is_not(None), AuditEntry.at < cutoff)
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        ).first()
        if last is None:
            return 0
        removed = conn.execute(
            delete(AuditEntry).where(AuditEntry.seq.is_not(None), AuditEntry.seq <= last.seq)
        ).rowcount
        conn.execute(delete(AuditAnchor))
        conn.execute(
            insert(AuditAnchor).values(
                id=1, seq=last.seq, hash=last.hash, pruned_at=dep.clock.now()
            )
        )
    return int(removed or 0)


def unsealed(dep: Deployment) -> int:
    with dep.db.read() as conn:
        return int(conn.scalar(select(func.count()).where(AuditEntry.seq.is_(None))) or 0)
