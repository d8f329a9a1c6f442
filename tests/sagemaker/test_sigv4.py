"""Signature Version 4: boto3's signatures are accepted; anything else is refused with the
error AWS returns, and changing any signed part of a request breaks the signature."""

from __future__ import annotations

from datetime import datetime, timedelta

import boto3
import botocore.exceptions
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from tests.sagemaker.conftest import ADMIN, Live
from tests.support.factories import PASSWORD
from truthset import workforce
from truthset.db.tables import User
from truthset.deployment import Deployment
from truthset.identity import accesskeys
from truthset.web.sagemaker.errors import ApiError
from truthset.web.sagemaker.sigv4 import SignedRequest, authenticate

BODY = b'{"LabelingJobName": "cats"}'
TARGET = "SageMaker.DescribeLabelingJob"


def sign(
    key: accesskeys.AccessKeyPair,
    when: datetime,
    body: bytes = BODY,
    host: str = "testserver",
    path: str = "/",
    region: str = "us-east-1",
) -> SignedRequest:
    """A request signed the way botocore signs, at a chosen time."""
    aws = AWSRequest(
        method="POST",
        url=f"http://{host}{path}",
        data=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET},
    )
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    aws.context["timestamp"] = stamp
    aws.headers["X-Amz-Date"] = stamp
    aws.headers["Host"] = host
    signer = SigV4Auth(Credentials(key.access_key_id, key.secret_access_key), "sagemaker", region)
    names = signer.headers_to_sign(aws)
    signature = signer.signature(signer.string_to_sign(aws, signer.canonical_request(aws)), aws)
    aws.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={signer.scope(aws)}, "
        f"SignedHeaders={signer.signed_headers(names)}, Signature={signature}"
    )
    headers = [(name.lower(), value) for name, value in aws.headers.items()]
    return SignedRequest("POST", host, path, "", headers, body)


def refused(dep: Deployment, request: SignedRequest) -> tuple[str, str]:
    with pytest.raises(ApiError) as caught:
        authenticate(dep, request)
    assert caught.value.status == 400
    return caught.value.kind, caught.value.message


@pytest.fixture
def key(dep: Deployment) -> accesskeys.AccessKeyPair:
    workforce.create_admin(dep, ADMIN, PASSWORD)
    return accesskeys.create_access_key(dep, ADMIN)


def test_a_signed_request_names_its_admin(dep: Deployment, key: accesskeys.AccessKeyPair) -> None:
    user = authenticate(dep, sign(key, dep.clock.now()))
    assert user.email == ADMIN and user.is_admin
    # Any region in the credential scope is fine: ARNs carry the configured one anyway.
    assert authenticate(dep, sign(key, dep.clock.now(), region="eu-west-1")).email == ADMIN


def test_stale_and_future_dates_are_refused(dep: Deployment, key: accesskeys.AccessKeyPair) -> None:
    now = dep.clock.now()
    assert authenticate(dep, sign(key, now - timedelta(minutes=4)))
    kind, message = refused(dep, sign(key, now - timedelta(minutes=6)))
    assert kind == "InvalidSignatureException"
    assert message == (
        "Signature expired: 20261125T085400Z is now earlier than 20261125T085500Z "
        "(20261125T090000Z - 5 min.)"
    )
    kind, message = refused(dep, sign(key, now + timedelta(minutes=6)))
    assert kind == "InvalidSignatureException" and message.startswith("Signature not yet current")


def test_unknown_revoked_and_disabled_keys_are_unrecognized(
    dep: Deployment, key: accesskeys.AccessKeyPair
) -> None:
    now = dep.clock.now()
    stranger = accesskeys.AccessKeyPair("AKTSAAAAAAAAAAAAAAAA", "x" * 40, "x@example.org")
    assert refused(dep, sign(stranger, now)) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
    workforce.create_admin(dep, "second@example.org", PASSWORD)  # the last admin stays enabled
    workforce.set_disabled(dep, ADMIN, True)
    assert refused(dep, sign(key, now))[0] == "UnrecognizedClientException"
    workforce.set_disabled(dep, ADMIN, False)
    assert authenticate(dep, sign(key, now))
    accesskeys.revoke_access_key(dep, key.access_key_id)
    assert refused(dep, sign(key, now))[0] == "UnrecognizedClientException"


def test_missing_and_malformed_authorization(
    dep: Deployment, key: accesskeys.AccessKeyPair
) -> None:
    good = sign(key, dep.clock.now())
    bare = [(k, v) for k, v in good.headers if k != "authorization"]
    assert refused(dep, SignedRequest("POST", "testserver", "/", "", bare, BODY)) == (
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )
    garbled = [*bare, ("authorization", "AWS4-HMAC-SHA256 Credential=nonsense")]
    request = SignedRequest("POST", "testserver", "/", "", garbled, BODY)
    assert refused(dep, request)[0] == "IncompleteSignatureException"
    other = [
        (k, v.replace("/sagemaker/", "/s3/") if k == "authorization" else v)
        for k, v in good.headers
    ]
    request = SignedRequest("POST", "testserver", "/", "", other, BODY)
    assert refused(dep, request) == (
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'sagemaker'.",
    )


_PARTS = st.sampled_from(["body", "target", "host", "path", "signature", "secret"])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Noise of whitespace alone changes nothing signed: SigV4 trims header values.
@given(part=_PARTS, noise=st.text(min_size=1, max_size=8).filter(str.strip))
def test_any_change_to_a_signed_part_is_refused(
    dep: Deployment, key: accesskeys.AccessKeyPair, part: str, noise: str
) -> None:
    now = dep.clock.now()
    request = sign(key, now)
    headers = request.headers
    body, host, path = request.body, request.host, request.raw_path
    if part == "body":
        body = body[:-1] + noise.encode() + b"}"
    elif part == "target":
        headers = [(k, v + noise if k == "x-amz-target" else v) for k, v in headers]
    elif part == "host":
        host = host + "x"
        headers = [(k, host if k == "host" else v) for k, v in headers]
    elif part == "path":
        path = "/sagemaker/"
    elif part == "signature":
        headers = [
            (k, v[:-1] + ("0" if v[-1] != "0" else "1") if k == "authorization" else v)
            for k, v in headers
        ]
    else:
        wrong = accesskeys.AccessKeyPair(key.access_key_id, key.secret_access_key[:-1] + "#", ADMIN)
        headers = sign(wrong, now).headers
    kind, message = refused(dep, SignedRequest("POST", host, path, "", headers, body))
    assert kind == "InvalidSignatureException"
    assert message.startswith("The request signature we calculated does not match")


def test_claimed_payload_hash_is_not_trusted(
    dep: Deployment, key: accesskeys.AccessKeyPair
) -> None:
    request = sign(key, dep.clock.now())
    claimed = [*request.headers, ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]
    tampered = SignedRequest("POST", "testserver", "/", "", claimed, b'{"LabelingJobName": "dogs"}')
    assert refused(dep, tampered)[0] == "InvalidSignatureException"


# --- the same, end to end with boto3 against the live server ---------------------------------


def error_of(call: object) -> tuple[str, str, int]:
    assert callable(call)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        caught.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_boto3_signature_failures(live: Live) -> None:
    good = live.client()
    assert good.list_workforces()["Workforces"][0]["WorkforceName"] == "default"
    wrong = live.client(secret=live.key.secret_access_key[::-1])
    code, message, status = error_of(wrong.list_workteams)
    assert (code, status) == ("InvalidSignatureException", 400)
    assert "signature we calculated does not match" in message
    unknown = live.client(key_id="AKTSZZZZZZZZZZZZZZZZ", secret="s" * 40)
    assert error_of(unknown.list_workteams)[:2] == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
    unsigned = boto3.client(
        "sagemaker",
        endpoint_url=live.url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )
    assert error_of(unsigned.list_workteams)[:2] == (
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )


def test_boto3_under_a_path_prefix(live: Live) -> None:
    client = boto3.client(
        "sagemaker",
        endpoint_url=f"{live.url}/sagemaker",
        region_name="eu-west-1",
        aws_access_key_id=live.key.access_key_id,
        aws_secret_access_key=live.key.secret_access_key,
        config=Config(retries={"total_max_attempts": 1}),
    )
    assert client.describe_workforce(WorkforceName="default")["Workforce"]["Status"] == "Active"


def test_non_admin_keys_are_denied(live: Live) -> None:
    email = "former-admin@hospital.example"
    workforce.create_admin(live.dep, email, PASSWORD)
    key = accesskeys.create_access_key(live.dep, email)
    with live.dep.db.write() as conn:
        conn.execute(update(User).where(User.email == email).values(is_admin=False))
    code, message, _ = error_of(
        live.client(key.access_key_id, key.secret_access_key).list_workteams
    )
    assert code == "AccessDeniedException"
    assert message.startswith(
        f"User: {email} is not authorized to perform: sagemaker:ListWorkteams"
    )
