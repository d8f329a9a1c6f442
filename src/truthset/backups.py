"""Backups of a whole deployment, and restoring one onto a fresh machine.

A backup folder holds:
- `database.sqlite` (SQLite's online backup API: a consistent copy while the server runs) or
  `database.dump` (pg_dump's custom format, one consistent snapshot);
- `secret-key` (sessions, media URLs and access-key secrets depend on it);
- `outputs/<n>/...`, a copy of each local job output folder (S3 outputs stay in their bucket);
- `backup.json`: when, which database, which schema revision, which output folder is which.

Restoring refuses a database that already has jobs or people in it, unless told to replace it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from glob import glob
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from truthset.db.migrate import upgrade
from truthset.db.tables import Job, User
from truthset.errors import Conflict, Invalid
from truthset.settings import SECRET_KEY_FILE, Settings

MANIFEST = "backup.json"


@dataclass(frozen=True)
class BackupInfo:
    folder: Path
    database: str  # sqlite | postgresql
    revision: str
    outputs: dict[str, str]  # folder in the backup -> output URI of the jobs
    created_at: str


def _tool(name: str) -> str:
    """pg_dump / pg_restore: from PATH, else the newest PostgreSQL install."""
    found = shutil.which(name) or next(
        iter(sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise Invalid(
            f"{name} not found: install the PostgreSQL client (apt-get install postgresql-client)"
        )
    return found


def _postgres(tool: str, url: str, *args: str) -> None:
    """Runs pg_dump / pg_restore on the database; the password goes in the environment, not
    on a command line other users of the machine can read."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    target = parsed.set(drivername="postgresql", password=None).render_as_string()
    done = subprocess.run([_tool(tool), *args, "-d", target], env=env, capture_output=True)
    if done.returncode != 0:
        raise Invalid(f"{tool} failed: {done.stderr.decode(errors='replace').strip()[-2000:]}")


def _local_outputs(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            uris = conn.scalars(select(Job.output_uri).distinct()).all()
            revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()
    return [str(revision), *(uri for uri in uris if not uri.startswith("s3://"))]


def create_backup(settings: Settings, folder: Path) -> BackupInfo:
    """Writes a backup of the deployment into `folder` (which must be empty or new)."""
    if folder.exists() and any(folder.iterdir()):
        raise Invalid(f"{folder}: the backup folder must be empty or new")
    folder.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    if kind == "sqlite":
        source = sqlite3.connect(make_url(url).database or "")
        target = sqlite3.connect(folder / "database.sqlite")
        with target:
            source.backup(target)
        source.close()
        target.close()
    else:
        _postgres(
            "pg_dump", url, "--format=custom", "--no-owner", "-f", str(folder / "database.dump")
        )
    # A key set in the environment is the operator's to keep; a generated one lives here.
    if (settings.data_dir / SECRET_KEY_FILE).exists():
        shutil.copy2(settings.data_dir / SECRET_KEY_FILE, folder / SECRET_KEY_FILE)
        os.chmod(folder / SECRET_KEY_FILE, 0o600)
    revision, *outputs = _local_outputs(url)
    copied: dict[str, str] = {}
    for index, uri in enumerate(sorted(set(outputs))):
        if Path(uri).is_dir():
            shutil.copytree(uri, folder / "outputs" / str(index), symlinks=True)
            copied[str(index)] = uri
    info = BackupInfo(folder, kind, revision, copied, datetime.now(UTC).isoformat())
    (folder / MANIFEST).write_text(
        json.dumps(
            {
                "database": kind,
                "revision": revision,
                "outputs": copied,
                "created_at": info.created_at,
            },
            indent=2,
        )
    )
    return info


def read_backup(folder: Path) -> BackupInfo:
    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise Invalid(f"{folder}: not a truthset backup ({MANIFEST}: {error})") from None
    return BackupInfo(
        folder, data["database"], data["revision"], data["outputs"], data["created_at"]
    )


def _has_data(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            try:
                return bool(conn.scalar(select(func.count()).select_from(Job))) or bool(
                    conn.scalar(select(func.count()).select_from(User))
                )
            except Exception:  # no tables yet: an empty database
                return False
    finally:
        engine.dispose()


def restore_backup(settings: Settings, folder: Path, replace: bool = False) -> BackupInfo:
    """Restores a backup into the deployment the settings name (its database, data dir and the
    jobs' output folders), then brings the schema up to this version's migrations."""
    info = read_backup(folder)
    url = settings.resolved_database_url
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    if kind != info.database:
        raise Invalid(f"the backup holds a {info.database} database; this deployment uses {kind}")
    if _has_data(url) and not replace:
        raise Conflict(
            "the database already holds jobs or people; restore with --replace to overwrite it"
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        target = Path(make_url(url).database or "")
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copy2(folder / "database.sqlite", target)
    else:
        _postgres(
            "pg_restore", url, "--clean", "--if-exists", "--no-owner", "--exit-on-error",
            str(folder / "database.dump"),
        )  # fmt: skip
    if (folder / SECRET_KEY_FILE).exists():
        key = settings.data_dir / SECRET_KEY_FILE
        shutil.copy2(folder / SECRET_KEY_FILE, key)
        os.chmod(key, 0o600)
    for name, uri in info.outputs.items():
        shutil.copytree(folder / "outputs" / name, uri, symlinks=True, dirs_exist_ok=True)
    engine = create_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return info
