"""An entry as the hash chain sees it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def canonical(row: Any, seq: int) -> str:
    """The entry as the hash sees it: sorted keys, no spaces, the detail as parsed JSON."""
    entry = {
        "seq": seq,
        "id": row.id,
        "at": row.at.isoformat(),
        "actor": row.actor,
        "actor_id": row.actor_id,
        "action": row.action,
        "job": row.job,
        "object_id": row.object_id,
        "address": row.address,
        "request_id": row.request_id,
        "detail": json.loads(row.detail),
    }
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, row: Any, seq: int) -> str:
    return hashlib.sha256((prev_hash + canonical(row, seq)).encode()).hexdigest()
