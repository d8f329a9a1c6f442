"""One deployment: the settings plus what they open (database, storage, clock, mailer).

The server, the CLI and the tests each build one with `open_deployment`; nothing is built at
import time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from truthset.clock import Clock, SystemClock
from truthset.db.engine import Database
from truthset.db.migrate import upgrade
from truthset.identity import passwords
from truthset.mailer import Mailer, make_mailer
from truthset.settings import Settings
from truthset.storage.base import Storage
from truthset.storage.router import make_storage


class TtlCache:
    """Remembers values for a few seconds (resolved tokens, team memberships), so the hot
    dispatch path needs no extra query. Changes made in this process clear it; other processes
    see them within `ttl` seconds."""

    def __init__(self, ttl: float = 5.0, size: int = 10_000) -> None:
        self.ttl = timedelta(seconds=ttl)
        self.size = size
        self._items: dict[str, tuple[object, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, now: datetime) -> object | None:
        with self._lock:
            item = self._items.get(key)
        if item is None or now - item[1] > self.ttl:
            return None
        return item[0]

    def put(self, key: str, value: object, now: datetime) -> None:
        with self._lock:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[key] = (value, now)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class Throttle:
    """Lets a periodic chore run at most once per interval per key, in this process."""

    def __init__(self) -> None:
        self._last: dict[object, datetime] = {}
        self._lock = threading.Lock()

    def due(self, key: object, now: datetime, seconds: float) -> bool:
        with self._lock:
            last = self._last.get(key)
            if last is not None and timedelta(0) <= now - last < timedelta(seconds=seconds):
                return False
            self._last[key] = now
            return True


@dataclass
class Deployment:
    settings: Settings
    db: Database
    storage: Storage
    clock: Clock
    mailer: Mailer | None
    secret_key: str
    token_cache: TtlCache = field(default_factory=TtlCache)
    memberships: TtlCache = field(default_factory=TtlCache)
    # Task id -> (job id, worker's user id) of tasks leased by this process, for answers.
    task_owners: TtlCache = field(default_factory=lambda: TtlCache(ttl=3600, size=100_000))
    # The workforce's sign-in provider and networks (identity/config.py), read on every request.
    workforce_config: TtlCache = field(default_factory=TtlCache)
    # Job fields that never change after creation, by job id and by name (lower case).
    job_records: dict[object, Any] = field(default_factory=dict)
    throttle: Throttle = field(default_factory=Throttle)
    # Set when there is work for the background runner (an object closed, a job was stopped).
    wake: threading.Event = field(default_factory=threading.Event)


def open_deployment(
    settings: Settings,
    *,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    storage: Storage | None = None,
    migrate: bool = True,
) -> Deployment:
    settings.check_production()
    passwords.use_fast_hashing(settings.fast_password_hashing)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    secret_key = settings.ensure_secret_key()
    db = Database(settings.resolved_database_url, settings.sqlite_synchronous)
    if migrate:
        upgrade(db.engine)
    return Deployment(
        settings=settings,
        db=db,
        storage=storage or make_storage(settings),
        clock=clock or SystemClock(),
        mailer=mailer if mailer is not None else make_mailer(settings.smtp_url, settings.mail_from),
        secret_key=secret_key,
    )
