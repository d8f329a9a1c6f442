"""`truthset job send-back`: a labeled object opens again for more answers."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from tests.cli.test_cli import cli  # noqa: F401  (the fixture)
from tests.domain.test_send_back import label_all, step
from tests.support.factories import make_job, make_team
from truthset.db.tables import AuditEntry
from truthset.deployment import open_deployment


def test_job_send_back(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    dep = open_deployment(cli.settings, migrate=False)
    try:
        workers = make_team(dep, workers=3)
        make_job(dep, objects=1, workers_per_object=2)
        label_all(dep, workers[:2], {0: "Left-CC"})
        assert step(dep).status == "Completed"
    finally:
        dep.db.dispose()
    assert "answers must be from 1 to 1" in cli(
        "job", "send-back", "views", "0", "--answers", "2", code=1
    )
    said = cli("job", "send-back", "views", "0")
    assert "offered for 3 answers (it has 2); the job is InProgress" in said
    assert "only a labeled object" in cli("job", "send-back", "views", "0", code=1)
    dep = open_deployment(cli.settings, migrate=False)
    try:
        with dep.db.read() as conn:
            detail = conn.scalar(
                select(AuditEntry.detail).where(AuditEntry.action == "object.sent_back")
            )
        assert json.loads(detail or "{}")["answers"] == 1
    finally:
        dep.db.dispose()
