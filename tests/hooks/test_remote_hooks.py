"""HTTP hooks (signed, retried) and AWS Lambda hooks through boto3's own lambda client."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.lambda_server import lambda_server
from truthset.hooks.aws_lambda import LambdaHook
from truthset.hooks.base import HookLimits
from truthset.hooks.http import HttpHook, endpoint_secret

SECRET_KEY = "deployment-secret"


class Receiver:
    """An HTTP hook receiver that checks the signature the way the docs tell receivers to."""

    def __init__(self, answers: list[tuple[int, Any]]) -> None:
        self.answers = answers
        self.requests: list[dict[str, Any]] = []


@pytest.fixture
def receiver() -> Iterator[tuple[str, Receiver]]:
    state = Receiver([])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            url = f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"
            stamp = self.headers["X-Truthset-Timestamp"]
            expected = hmac.new(
                endpoint_secret(SECRET_KEY, url).encode(),
                stamp.encode() + b"." + body,
                hashlib.sha256,
            )
            state.requests.append(
                {
                    "event": json.loads(body),
                    "signed": hmac.compare_digest(
                        self.headers["X-Truthset-Signature"], "sha256=" + expected.hexdigest()
                    ),
                }
            )
            status, answer = state.answers.pop(0) if state.answers else (200, {"ok": True})
            data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", state
    server.shutdown()
    server.server_close()


def test_an_http_hook_signs_each_request_and_retries_server_errors(
    receiver: tuple[str, Receiver],
) -> None:
    url, state = receiver
    state.answers = [(503, {"busy": True}), (200, {"taskInput": {"taskObject": "x"}})]
    with HttpHook(url, SECRET_KEY, HookLimits(seconds=5)) as hook:
        outcome = hook.invoke({"dataObject": {"source": "x"}})
    assert outcome.value == {"taskInput": {"taskObject": "x"}}
    assert [r["signed"] for r in state.requests] == [True, True]
    assert state.requests[0]["event"] == {"dataObject": {"source": "x"}}


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ([(200, b"<html>not json</html>")], "not JSON"),
        ([(404, {})], "answered HTTP 404"),
        ([(500, {})] * 3, "answered HTTP 500"),
        ([(200, b"[" + b"1," * (4 * 1024 * 1024) + b"1]")], "larger than 6291456 bytes"),
    ],
    ids=["garbage", "client error", "server errors", "10 MB"],
)
def test_an_http_hook_that_fails_says_why(
    receiver: tuple[str, Receiver], answers: list[tuple[int, Any]], reason: str
) -> None:
    url, state = receiver
    state.answers = list(answers)
    with HttpHook(url, SECRET_KEY, HookLimits(seconds=5)) as hook:
        outcome = hook.invoke({})
    assert outcome.value is None and reason in str(outcome.error)


def test_an_unreachable_http_hook_is_retried_then_fails() -> None:
    with HttpHook("http://127.0.0.1:9/hook", SECRET_KEY, HookLimits(seconds=2)) as hook:
        outcome = hook.invoke({})
    assert "could not be reached" in str(outcome.error)


ARN = "arn:aws:lambda:eu-west-1:111122223333:function:gt-pre-annotation"


def test_a_lambda_arn_is_invoked_with_boto3_at_its_configured_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def pre(event: dict[str, Any]) -> dict[str, Any]:
        return {"taskInput": event["dataObject"], "isHumanAnnotationRequired": True}

    def broken(event: dict[str, Any]) -> Any:
        raise KeyError("source-ref")

    with lambda_server({"gt-pre-annotation": pre, "broken": broken}) as (endpoint, received):
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", endpoint)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
        with LambdaHook(ARN, HookLimits(seconds=5)) as hook:
            ok = hook.invoke({"dataObject": {"source": "hello"}})
        with LambdaHook(ARN.replace("gt-pre-annotation", "broken"), HookLimits(seconds=5)) as hook:
            failed = hook.invoke({"dataObject": {}})
        with LambdaHook(ARN.replace("gt-pre-annotation", "missing"), HookLimits(seconds=5)) as hook:
            missing = hook.invoke({})
    assert ok.value == {"taskInput": {"source": "hello"}, "isHumanAnnotationRequired": True}
    assert received[0] == {
        "function": "gt-pre-annotation",
        "event": {"dataObject": {"source": "hello"}},
    }
    assert "failed (Unhandled)" in str(failed.error) and "source-ref" in str(failed.error)
    assert "ResourceNotFoundException" in str(missing.error)
