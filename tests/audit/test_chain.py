"""The hash chain: `audit verify` finds a row deleted or changed directly in the database, on
SQLite and PostgreSQL; several writers and sealers (threads, and a second engine standing in
for another server process) keep one unbroken chain; retention pruning leaves it verifiable;
sealed entries stream once each to a file and to syslog."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select, text
from typer.testing import CliRunner

from truthset import audit
from truthset.audit import chain, entry
from truthset.cli.main import app as cli
from truthset.clock import ManualClock
from truthset.db.tables import AuditEntry
from truthset.deployment import Deployment, open_deployment
from truthset.settings import Settings


def _append(dep: Deployment, count: int, prefix: str = "team") -> None:
    for index in range(count):
        audit.record_now(dep, "team.created", detail={"team": f"{prefix}-{index}"})


def _verify_cli(dep: Deployment) -> tuple[int, str]:
    env = {
        "TRUTHSET_DATA_DIR": str(dep.settings.data_dir),
        "TRUTHSET_DATABASE_URL": dep.settings.database_url,
    }
    result = CliRunner().invoke(cli, ["audit", "verify"], env=env)
    return result.exit_code, result.output


def test_intact_chain_verifies(dep: Deployment) -> None:
    _append(dep, 5)
    assert chain.unsealed(dep) == 5
    verdict = chain.verify(dep)
    assert verdict.ok and verdict.checked == 5 and verdict.head_seq == 5
    assert chain.unsealed(dep) == 0
    code, output = _verify_cli(dep)
    assert code == 0 and "5 entries checked" in output and verdict.head_hash in output


def test_deleted_row_is_found(dep: Deployment) -> None:
    _append(dep, 6)
    chain.seal(dep)
    with dep.db.write() as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq = 3"))
    verdict = chain.verify(dep)
    assert verdict.problems == ["entry 3 is missing (deleted)"]
    code, output = _verify_cli(dep)
    assert code == 1 and "entry 3 is missing" in output


def test_deleted_first_rows_and_last_are_found(dep: Deployment) -> None:
    _append(dep, 4)
    chain.seal(dep)
    with dep.db.write() as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq <= 2"))
    assert chain.verify(dep).problems == ["entries 1 to 2 are missing (deleted)"]


def test_changed_row_is_found(dep: Deployment) -> None:
    _append(dep, 4)
    chain.seal(dep)
    with dep.db.write() as conn:
        conn.execute(text("UPDATE audit_entries SET actor = 'someone-else' WHERE seq = 2"))
    assert [p for p in chain.verify(dep).problems if "changed" in p] == [
        "entry 2 (id 2) was changed"
    ]
    code, _output = _verify_cli(dep)
    assert code == 1


def test_rehashed_row_breaks_the_next_link(dep: Deployment) -> None:
    """Someone who changes a row and recomputes its hash still breaks the link after it."""
    _append(dep, 3)
    chain.seal(dep)
    with dep.db.write() as conn:
        row = conn.execute(select(AuditEntry.__table__).where(AuditEntry.seq == 2)).one()
        forged = SimpleNamespace(**{**row._asdict(), "detail": '{"team":"forged"}'})
        digest = entry.entry_hash(row.prev_hash, forged, 2)
        conn.execute(
            text("UPDATE audit_entries SET detail = :d, hash = :h WHERE seq = 2"),
            {"d": forged.detail, "h": digest},
        )
    assert chain.verify(dep).problems == ["entry 3: the link to the entry before is broken"]


def test_prune_keeps_the_chain_verifiable(settings: Settings, clock: ManualClock) -> None:
    dep = open_deployment(
        settings.model_copy(update={"audit_retention_days": 30}), clock=clock, migrate=False
    )
    _append(dep, 3, "old")
    chain.seal(dep)
    clock.advance(31 * 86400)
    _append(dep, 2, "new")
    chain.seal(dep)
    assert chain.prune(dep) == 3
    verdict = chain.verify(dep)
    assert verdict.ok and verdict.checked == 2 and verdict.head_seq == 5
    with dep.db.write() as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE seq = 4"))
    assert chain.verify(dep).problems == ["entry 4 is missing (deleted)"]
    dep.db.dispose()


def test_concurrent_writers_keep_one_chain(dep: Deployment, settings: Settings) -> None:
    # A second deployment has its own engine and pool: on PostgreSQL its sealer is another
    # session, as another server process's is; only the advisory lock keeps them in order.
    other = open_deployment(settings, clock=dep.clock, migrate=False)

    def work(target: Deployment, name: str) -> None:
        for round_ in range(5):
            _append(target, 4, f"{name}-{round_}")
            chain.seal(target)

    threads = [
        threading.Thread(target=work, args=(target, f"t{index}"))
        for index, target in enumerate([dep, other, dep, other])
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.db.dispose()
    verdict = chain.verify(dep)
    # A gap here was a sealer that read unsealed rows, then a head another had just moved.
    assert verdict.problems == [] and verdict.checked == 80 and verdict.head_seq == 80


def test_sealed_entries_stream_to_a_file_once(
    settings: Settings, clock: ManualClock, tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    dep = open_deployment(
        settings.model_copy(update={"audit_log": str(log)}), clock=clock, migrate=False
    )
    _append(dep, 3)
    chain.seal(dep)
    chain.seal(dep)
    _append(dep, 1, "later")
    chain.verify(dep)
    dep.db.dispose()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3, 4]
    assert lines[3]["detail"] == {"team": "later-0"} and len(lines[3]["hash"]) == 64


def test_sealed_entries_stream_to_syslog(settings: Settings, clock: ManualClock) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    port = receiver.getsockname()[1]
    dep = open_deployment(
        settings.model_copy(update={"audit_log": f"syslog://127.0.0.1:{port}"}),
        clock=clock,
        migrate=False,
    )
    _append(dep, 2)
    chain.seal(dep)
    messages = [receiver.recv(65536).decode() for _ in range(2)]
    receiver.close()
    # <86>: facility authpriv (10) * 8 + severity info (6), as RFC 5424 counts.
    assert all(message.startswith("<86>truthset-audit: {") for message in messages)
    entries = [json.loads(message.split(": ", 1)[1].rstrip("\x00")) for message in messages]
    assert [entry["seq"] for entry in entries] == [1, 2]
    dep.db.dispose()
