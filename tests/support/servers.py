"""Real `truthset serve` processes for scale-out tests (each with its background runner)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from tests.support.live import free_port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: IO[bytes]

    def errors(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def children(self) -> list[int]:
        found: list[int] = []
        for task in Path(f"/proc/{self.process.pid}/task").glob("*"):
            text = (task / "children").read_text() if (task / "children").exists() else ""
            found += [int(pid) for pid in text.split()]
        return found

    def kill(self) -> None:
        """kill -9 of the server and its runner process, as a crashed machine would leave them."""
        runners = self.children()
        self.process.kill()
        for pid in runners:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def start(env: dict[str, str]) -> Server:
    port = free_port()
    # A file, not a pipe: a pipe nobody reads would block the server once it fills.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed when the server is stopped)
    process = subprocess.Popen(
        [sys.executable, "-m", "truthset.cli.main", "serve"],
        env={**os.environ, **env, "TRUTHSET_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    server = Server(process, port, log)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(server.url + "/login", timeout=1)
            return server
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                process.wait()
                errors = server.errors()
                log.close()
                raise RuntimeError("truthset serve did not start: " + errors) from None
            time.sleep(0.2)


@contextmanager
def running(env: dict[str, str], count: int) -> Iterator[list[Server]]:
    servers = [start(env) for _ in range(count)]
    try:
        yield servers
    finally:
        for server in servers:
            if server.process.poll() is None:
                server.process.terminate()
        for server in servers:
            try:
                server.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            server.log.close()
