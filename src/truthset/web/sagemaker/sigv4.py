"""AWS Signature Version 4, checked on the server with botocore's own signer.

The client's canonical request is rebuilt from what arrived: method, raw path and query, the
headers it lists as signed, and a hash of the body we actually received (a claimed
x-amz-content-sha256 is never trusted). Errors are the ones AWS returns for each failure.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials
from starlette.requests import Request

from truthset.deployment import Deployment
from truthset.errors import Unauthenticated
from truthset.identity.accesskeys import resolve_access_key
from truthset.web.sagemaker.errors import ApiError
from truthset.workforce import UserInfo

SERVICE = "sagemaker"
MAX_SKEW = timedelta(minutes=5)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)/"
    r"(?P<service>[^/,\s]+)/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9\-;]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})"
)
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True)
class SignedRequest:
    method: str
    host: str
    raw_path: str  # as sent, percent-encoded
    query: str
    headers: list[tuple[str, str]]  # lower-case names, in arrival order
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


class _Verifier(SigV4Auth):
    """botocore's signer, signing exactly the headers the client listed."""

    def __init__(self, secret: str, key_id: str, region: str, signed: list[tuple[str, str]]):
        super().__init__(Credentials(key_id, secret), SERVICE, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        headers = HTTPHeaders()
        for name, value in self._signed:
            headers[name] = value
        return headers


def _fail(kind: str, message: str) -> ApiError:
    return ApiError(kind, message, 400)


def _check_date(request: SignedRequest, scope_date: str, now: datetime) -> str:
    stamp = request.header("x-amz-date")
    if stamp is None:
        raise _fail(
            "IncompleteSignatureException", "Authorization header requires the X-Amz-Date header"
        )
    try:
        moment = datetime.strptime(stamp, _AMZ_DATE)
    except ValueError:
        raise _fail("IncompleteSignatureException", f"X-Amz-Date {stamp!r} is not valid") from None
    if not stamp.startswith(scope_date):
        raise _fail(
            "InvalidSignatureException", "Date in Credential scope does not match X-Amz-Date"
        )
    if moment < now - MAX_SKEW:
        raise _fail(
            "InvalidSignatureException",
            f"Signature expired: {stamp} is now earlier than "
            f"{(now - MAX_SKEW).strftime(_AMZ_DATE)} ({now.strftime(_AMZ_DATE)} - 5 min.)",
        )
    if moment > now + MAX_SKEW:
        raise _fail(
            "InvalidSignatureException",
            f"Signature not yet current: {stamp} is still later than "
            f"{(now + MAX_SKEW).strftime(_AMZ_DATE)} ({now.strftime(_AMZ_DATE)} + 5 min.)",
        )
    return stamp


def expected_signature(
    request: SignedRequest, key_id: str, secret: str, region: str, names: list[str]
) -> str:
    """The signature the client must have sent, computed as botocore computes it."""
    signed = [(name, value) for name in names for key, value in request.headers if key == name]
    query = f"?{request.query}" if request.query else ""
    aws = AWSRequest(
        method=request.method,
        url=f"http://{request.host}{request.raw_path}{query}",
        data=request.body,
    )
    aws.context["timestamp"] = request.header("x-amz-date")
    verifier = _Verifier(secret, key_id, region, signed)
    canonical = verifier.canonical_request(aws)
    return verifier.signature(verifier.string_to_sign(aws, canonical), aws)


def authenticate(dep: Deployment, request: SignedRequest) -> UserInfo:
    """The user whose access key signed the request; raises the error AWS would return."""
    header = request.header("authorization")
    if not header:
        raise _fail("MissingAuthenticationTokenException", "Missing Authentication Token")
    match = _AUTHORIZATION.fullmatch(header.strip())
    if match is None:
        raise _fail(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
            "parameters for AWS4-HMAC-SHA256",
        )
    if match["service"] != SERVICE:
        raise _fail(
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: '{SERVICE}'.",
        )
    names = match["headers"].split(";")
    if "host" not in names or "x-amz-date" not in names:
        raise _fail("InvalidSignatureException", "The host and x-amz-date headers must be signed")
    try:
        user, secret = resolve_access_key(dep, match["key"])
    except Unauthenticated:
        raise _fail(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        ) from None
    _check_date(request, match["date"], dep.clock.now())
    expected = expected_signature(request, match["key"], secret, match["region"], names)
    if not hmac.compare_digest(expected, match["signature"]):
        raise _fail("InvalidSignatureException", _MISMATCH)
    return user


def signed_request(request: Request, body: bytes) -> SignedRequest:
    """What arrived, as the signature covers it."""
    scope = request.scope
    return SignedRequest(
        method=request.method,
        host=request.headers.get("host", ""),
        raw_path=scope.get("raw_path", scope["path"].encode()).decode("latin-1"),
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=[(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]],
        body=body,
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused once it grows past `limit` bytes (before anyone is authenticated)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(
                "SerializationException", f"the request body is larger than {limit} bytes", 413
            )
        chunks.append(chunk)
    return b"".join(chunks)
