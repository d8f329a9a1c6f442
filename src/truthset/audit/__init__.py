"""Audit trail: who did what, when and from where; hash-chained so removal or change shows."""

from truthset.audit.origin import Origin, current_origin, request_origin, set_actor, use_origin
from truthset.audit.trail import record, record_now

__all__ = [
    "Origin",
    "current_origin",
    "record",
    "record_now",
    "request_origin",
    "set_actor",
    "use_origin",
]
