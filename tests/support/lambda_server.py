"""A Lambda-compatible server on loopback: the Invoke operation of AWS Lambda's REST API
(`POST /2015-03-31/functions/<name>/invocations`), enough for boto3's `lambda` client.

Functions are Python callables taking the event; an exception comes back as Lambda reports a
handler error (`X-Amz-Function-Error: Unhandled` and an errorMessage payload)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

Function = Callable[[dict[str, Any]], Any]


@contextmanager
def lambda_server(functions: dict[str, Function]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yields the endpoint URL and the list of events received."""
    received: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = self.path.split("/")
            name = (
                unquote(parts[3]).rsplit(":function:", 1)[-1].split(":")[0]
                if len(parts) > 4
                else ""
            )
            event = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"null")
            received.append({"function": name, "event": event})
            function = functions.get(name)
            if function is None:
                self._send(
                    404,
                    {"Type": "User", "message": f"Function not found: {name}"},
                    {"x-amzn-ErrorType": "ResourceNotFoundException"},
                )
                return
            try:
                self._send(200, function(event), {"X-Amz-Executed-Version": "$LATEST"})
            except Exception as error:
                body = {"errorMessage": str(error), "errorType": type(error).__name__}
                self._send(200, body, {"X-Amz-Function-Error": "Unhandled"})

        def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
