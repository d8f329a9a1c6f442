"""A throwaway PostgreSQL cluster for the test session (about a second to start).

Set TRUTHSET_TEST_POSTGRES_URL to use an existing server instead (a database URL whose user
may create databases).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "PostgreSQL server binaries not found (apt-get install postgresql), "
            "or set TRUTHSET_TEST_POSTGRES_URL"
        )
    return Path(found[-1]).parent


def _run(args: list[str], as_postgres: bool) -> None:
    if as_postgres:
        args = ["runuser", "-u", "postgres", "--", *args]
    subprocess.run(args, check=True, capture_output=True)


@contextmanager
def cluster() -> Iterator[str]:
    """Yields an admin URL (postgresql://user@127.0.0.1:port/postgres) of a fresh cluster."""
    existing = os.environ.get("TRUTHSET_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    binaries = _bin()
    # initdb refuses to run as root: run the cluster as the postgres user then.
    as_postgres = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="truthset-pg-"))
    user = "postgres" if as_postgres else pwd.getpwuid(os.geteuid()).pw_name
    if as_postgres:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    data = root / "data"
    _run(
        [
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        as_postgres,
    )
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    )
    _run(
        [
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-w",
            "-s",
            "-o",
            options,
            "start",
        ],
        as_postgres,
    )
    try:
        yield f"postgresql://{user}@127.0.0.1:{port}/postgres"
    finally:
        _run(
            [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-s", "stop"],
            as_postgres,
        )
        shutil.rmtree(root, ignore_errors=True)


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """Creates a database (from a template when given) and returns its SQLAlchemy URL."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    base = admin_url.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
