"""NextToken paging for the List operations.

A token is the position of the next page, signed and bound to the request's filters and sort
order, so a token cannot be forged or reused with other filters. Items are sorted by a stable
key before slicing (ties broken by name), so pages do not overlap or skip while nothing is
added; new items sort after the page being read when sorting by creation time ascending.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from itsdangerous import BadSignature, URLSafeSerializer

from truthset.web.sagemaker.errors import invalid

T = TypeVar("T")
DEFAULT_PAGE = 10


def _fingerprint(params: dict[str, Any]) -> str:
    fixed = {k: v for k, v in params.items() if k not in ("NextToken", "MaxResults")}
    return hashlib.sha256(json.dumps(fixed, sort_keys=True, default=str).encode()).hexdigest()[:16]


def page(
    items: Sequence[T], params: dict[str, Any], secret: str, operation: str
) -> tuple[list[T], dict[str, str]]:
    """The page the request asks for, and {"NextToken": ...} when more follow (else {})."""
    serializer = URLSafeSerializer(secret, salt=f"truthset-sagemaker-{operation}")
    start = 0
    if token := params.get("NextToken"):
        try:
            offset, fingerprint = serializer.loads(token)
        except (BadSignature, ValueError, TypeError):
            raise invalid("NextToken: invalid pagination token") from None
        if fingerprint != _fingerprint(params) or not isinstance(offset, int) or offset < 0:
            raise invalid("NextToken: the token belongs to a request with other parameters")
        start = offset
    size = int(params.get("MaxResults") or DEFAULT_PAGE)
    chosen = list(items[start : start + size])
    if start + size >= len(items):
        return chosen, {}
    token = serializer.dumps([start + size, _fingerprint(params)])
    return chosen, {"NextToken": str(token)}


def keyset_token(cursor: Any, params: dict[str, Any], secret: str, operation: str) -> str:
    """A NextToken carrying where the next page starts (keyset paging of large lists)."""
    serializer = URLSafeSerializer(secret, salt=f"truthset-sagemaker-{operation}")
    return str(serializer.dumps([cursor, _fingerprint(params)]))


def keyset_cursor(params: dict[str, Any], secret: str, operation: str) -> Any:
    """The cursor a request's NextToken carries (None without one); refuses forged tokens and
    tokens from requests with other filters."""
    token = params.get("NextToken")
    if not token:
        return None
    serializer = URLSafeSerializer(secret, salt=f"truthset-sagemaker-{operation}")
    try:
        cursor, fingerprint = serializer.loads(token)
    except (BadSignature, ValueError, TypeError):
        raise invalid("NextToken: invalid pagination token") from None
    if fingerprint != _fingerprint(params):
        raise invalid("NextToken: the token belongs to a request with other parameters")
    return cursor
