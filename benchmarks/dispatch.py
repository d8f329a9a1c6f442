"""Dispatch throughput: a real server (`truthset serve`, uvicorn) and W simulated workers over HTTP.

Each worker loops next-task + answer until the job has nothing left for it. Afterwards the
invariants are checked in the database. Prints completions/s and request latency percentiles.

    .venv/bin/python benchmarks/dispatch.py [--workers 100] [--objects 2000] [--per-object 3]
        [--database-url URL]   (default: a fresh SQLite file)

Goal (SQLite, 2 cores): at least 200 completed tasks/s with 100 concurrent workers, p99 < 250 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import uvloop
from PIL import Image
from sqlalchemy import select

from truthset import jobs, workforce
from truthset.db.tables import Annotation
from truthset.deployment import open_deployment
from truthset.settings import Settings

LABELS = ["Right-CC", "Left-CC", "Right-MLO", "Left-MLO", "Not a mammography"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(settings: Settings, workers: int, objects: int, per_object: int) -> list[str]:
    dep = open_deployment(settings)
    workforce.create_team(dep, "bench")
    emails = [f"w{i}@bench.example" for i in range(workers)]
    created = workforce.create_workers(dep, emails, "bench", "benchmark password")
    image = settings.data_dir.resolve() / "image.png"
    Image.new("RGB", (64, 64), (90, 90, 90)).save(image)
    manifest = settings.data_dir.resolve() / "bench.manifest"
    manifest.write_text("".join(f'{{"source-ref": "{image}", "i": {i}}}\n' for i in range(objects)))
    jobs.create_job(
        dep,
        jobs.JobRequest(
            name="bench",
            manifest=str(manifest),
            output=str(settings.data_dir.resolve() / "out"),
            task_type="image-classification",
            team="bench",
            labels=LABELS,
            workers_per_object=per_object,
        ),
    )
    tokens = [workforce.issue_token(dep, user.id, "api") for user, _ in created]
    dep.db.dispose()
    return tokens


class Connection:
    """A minimal keep-alive HTTP/1.1 client: the simulated workers share the 2 cores with the
    server, so they must cost as little CPU as possible (httpx costs several times more)."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.auth = f"Authorization: Bearer {token}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + self.auth + b"\r\n" + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        data = await self.reader.readexactly(length) if length else b""
        return int(status_line.split()[1]), data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def worker(
    host: str, port: int, token: str, latencies: dict[str, list[float]], done: list[int]
) -> None:
    connection = Connection(host, port, token)
    first = True
    try:
        while True:
            start = time.perf_counter()
            status, body = await connection.post("/api/v1/worker/jobs/bench/next-task")
            elapsed = time.perf_counter() - start
            latencies["next-task"].append(elapsed)
            if not first:
                latencies["later next-task"].append(elapsed)
            first = False
            if status == 204:
                return
            if status != 200:
                raise RuntimeError(f"next-task: {status} {body[:200]!r}")
            task = json.loads(body)["task_id"]
            answer = json.dumps(
                {"answer": {"crowd-image-classifier": {"label": LABELS[task % len(LABELS)]}}}
            ).encode()
            start = time.perf_counter()
            status, body = await connection.post(f"/api/v1/worker/tasks/{task}/answer", answer)
            latencies["answer"].append(time.perf_counter() - start)
            if status != 204:
                raise RuntimeError(f"answer: {status} {body[:200]!r}")
            done.append(1)
    finally:
        connection.close()


async def drive(port: int, tokens: list[str]) -> tuple[float, dict[str, list[float]], int]:
    latencies: dict[str, list[float]] = {"next-task": [], "later next-task": [], "answer": []}
    done: list[int] = []
    start = time.perf_counter()
    await asyncio.gather(*(worker("127.0.0.1", port, token, latencies, done) for token in tokens))
    return time.perf_counter() - start, latencies, len(done)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def wait_for_completion(settings: Settings) -> float:
    """Seconds from the last answer until the background runner (its own process) completed
    the job: consolidation and output keep up with the workers."""
    dep = open_deployment(settings, migrate=False)
    started = time.perf_counter()
    try:
        while jobs.describe_job(dep, "bench").status != "Completed":
            if time.perf_counter() - started > 120:
                raise SystemExit("the job did not complete within 2 minutes of the last answer")
            time.sleep(0.1)
    finally:
        dep.db.dispose()
    return time.perf_counter() - started


def check_invariants(settings: Settings, per_object: int, objects: int) -> str:
    dep = open_deployment(settings, migrate=False)
    with dep.db.read() as conn:
        rows = conn.execute(select(Annotation.object_id, Annotation.user_id)).all()
    dep.db.dispose()
    counts = Counter(object_id for object_id, _ in rows)
    assert len(set(rows)) == len(rows), "a worker answered the same object twice"
    assert max(counts.values()) <= per_object, "an object got more than N answers"
    assert len(counts) == objects and min(counts.values()) == per_object, "objects left unanswered"
    return (
        f"invariants hold: {len(rows)} answers, {len(counts)} objects x {per_object}, no duplicates"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--per-object", type=int, default=3)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="truthset-bench-"))
    port = free_port()
    settings = Settings(
        data_dir=folder, database_url=args.database_url, port=port, fast_password_hashing=True
    )
    tokens = prepare(settings, args.workers, args.objects, args.per_object)
    env = {
        **os.environ,
        "TRUTHSET_DATA_DIR": str(folder),
        "TRUTHSET_DATABASE_URL": args.database_url,
        "TRUTHSET_PORT": str(port),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "truthset.cli.main", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/login", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("server did not start") from None
                time.sleep(0.2)
        profiler = None
        if os.environ.get("TRUTHSET_BENCH_PROFILE"):
            profiler = subprocess.Popen(
                [
                    "py-spy",
                    "record",
                    "-o",
                    os.environ["TRUTHSET_BENCH_PROFILE"],
                    "-f",
                    "raw",
                    "-p",
                    str(server.pid),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
        # uvloop (installed with uvicorn) keeps the simulated workers cheap on the shared cores.
        elapsed, latencies, completed = uvloop.run(drive(port, tokens))
        if profiler is not None:
            profiler.send_signal(2)
            profiler.wait(timeout=60)
    except Exception:
        server.terminate()
        sys.stderr.write(server.communicate(timeout=30)[1].decode()[-3000:])
        raise
    completed_after = wait_for_completion(settings)
    server.terminate()
    server.wait(timeout=30)
    backend = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    every = latencies["next-task"] + latencies["answer"]
    print(
        f"dispatch benchmark: {backend}, {args.workers} concurrent workers, {args.objects} objects x {args.per_object}"
    )
    print(
        f"  completed tasks      {completed} in {elapsed:.1f} s = {completed / elapsed:.0f} tasks/s"
    )
    for name, values in [
        ("next-task", latencies["next-task"]),
        # All workers start in the same instant: their first requests queue behind each other
        # (up to about a second for 100 workers); this line shows the steady state without them.
        ("  after the first", latencies["later next-task"]),
        ("answer", latencies["answer"]),
        ("all requests", every),
    ]:
        print(
            f"  {name:<20} p50 {percentile(values, 0.5):6.1f} ms   p99 {percentile(values, 0.99):6.1f} ms   mean {statistics.mean(values) * 1000:6.1f} ms"
        )
    print("  " + check_invariants(settings, args.per_object, args.objects))
    print(f"  job Completed {completed_after:.1f} s after the last answer (output written)")


if __name__ == "__main__":
    main()
