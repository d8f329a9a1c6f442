"""Dispatch throughput: real servers (`truthset serve`, uvicorn) and W simulated workers over HTTP.

Each worker loops next-task + answer until the run has completed its tasks (or the job has
nothing left for it). Afterwards the invariants are checked in the database. For every job size
(and every number of server processes) it prints completions/s and request latency percentiles,
then one table of all runs side by side.

    .venv/bin/python benchmarks/dispatch.py [--workers 100] [--objects 2000,1000000]
        [--per-object 3] [--tasks K] [--servers 1,2,3] [--database-url URL]

--objects and --servers take comma-separated lists: each combination is one run on a fresh
database (for PostgreSQL, a fresh database named after the URL's, with a suffix). --tasks K
stops a run after K completed tasks, so a 1,000,000-object job is measured at the same work as a
2,000-object one; without it a run labels the whole job. Requests are spread round-robin over
the server processes.

Goals (2 cores): on SQLite and PostgreSQL, a 1,000,000-object job within 20% of a 2,000-object
job's throughput and p99 in the same run; on SQLite at least 200 tasks/s with p99 < 250 ms at
100 workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import uvloop
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from truthset import jobs, workforce
from truthset.db.tables import Annotation, Job
from truthset.deployment import open_deployment
from truthset.settings import Settings

RAMP = 1.0
LABELS = ["Right-CC", "Left-CC", "Right-MLO", "Left-MLO", "Not a mammography"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_manifest(path: Path, image: Path, objects: int) -> None:
    line = json.dumps({"source-ref": str(image)})[:-1]
    with path.open("w") as handle:
        for start in range(0, objects, 100_000):
            handle.write(
                "".join(
                    f'{line}, "i": {i}}}\n' for i in range(start, min(objects, start + 100_000))
                )
            )


def prepare(settings: Settings, workers: int, objects: int, per_object: int) -> list[str]:
    dep = open_deployment(settings)
    workforce.create_team(dep, "bench")
    emails = [f"w{i}@bench.example" for i in range(workers)]
    created = workforce.create_workers(dep, emails, "bench", "benchmark password")
    image = settings.data_dir.resolve() / "image.png"
    Image.new("RGB", (64, 64), (90, 90, 90)).save(image)
    manifest = settings.data_dir.resolve() / "bench.manifest"
    write_manifest(manifest, image, objects)
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


@dataclass
class Load:
    """What the simulated workers share: the task budget and the measurements."""

    budget: int
    done: int = 0
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"next-task": [], "later next-task": [], "answer": []}
    )


async def worker(port: int, token: str, load: Load, delay: float) -> None:
    await asyncio.sleep(delay)
    connection = Connection("127.0.0.1", port, token)
    first = True
    try:
        while load.done < load.budget:
            start = time.perf_counter()
            status, body = await connection.post("/api/v1/worker/jobs/bench/next-task")
            elapsed = time.perf_counter() - start
            load.latencies["next-task"].append(elapsed)
            if not first:
                load.latencies["later next-task"].append(elapsed)
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
            load.latencies["answer"].append(time.perf_counter() - start)
            if status != 204:
                raise RuntimeError(f"answer: {status} {body[:200]!r}")
            load.done += 1
    finally:
        connection.close()


async def drive(ports: list[int], tokens: list[str], budget: int) -> tuple[float, Load]:
    load = Load(budget)
    start = time.perf_counter()
    # Workers arrive over RAMP seconds, not all in the same millisecond (their first requests
    # would otherwise queue behind each other and set the p99 on their own).
    await asyncio.gather(
        *(
            worker(ports[i % len(ports)], token, load, RAMP * i / len(tokens))
            for i, token in enumerate(tokens)
        )
    )
    return time.perf_counter() - start, load


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def wait_for_completion(settings: Settings) -> float:
    """Seconds from the last answer until the background runner completed the job:
    consolidation and output keep up with the workers."""
    dep = open_deployment(settings, migrate=False)
    started = time.perf_counter()
    try:
        while jobs.describe_job(dep, "bench").status != "Completed":
            if time.perf_counter() - started > 300:
                raise SystemExit("the job did not complete within 5 minutes of the last answer")
            time.sleep(0.1)
    finally:
        dep.db.dispose()
    return time.perf_counter() - started


def check_invariants(settings: Settings, per_object: int, whole_job: int | None) -> str:
    dep = open_deployment(settings, migrate=False)
    with dep.db.read() as conn:
        rows = conn.execute(select(Annotation.object_id, Annotation.user_id)).all()
        open_count = conn.scalar(select(Job.open_count))
        window = conn.scalar(select(func.max(Job.max_concurrent_tasks)))
    dep.db.dispose()
    counts = Counter(object_id for object_id, _ in rows)
    assert len(set(rows)) == len(rows), "a worker answered the same object twice"
    assert max(counts.values()) <= per_object, "an object got more than N answers"
    assert open_count is not None and 0 <= open_count <= (window or 0), "window count broken"
    if whole_job is not None:
        assert len(counts) == whole_job and min(counts.values()) == per_object, "objects left"
    return f"invariants hold: {len(rows)} answers on {len(counts)} objects, none over {per_object}, no duplicates"


def start_servers(
    settings: Settings, count: int
) -> tuple[list[subprocess.Popen[bytes]], list[int]]:
    ports = [free_port() for _ in range(count)]
    servers = []
    for port in ports:
        env = {
            **os.environ,
            "TRUTHSET_DATA_DIR": str(settings.data_dir),
            "TRUTHSET_DATABASE_URL": settings.database_url,
            "TRUTHSET_PORT": str(port),
            # One JSON line per request, as a deployment logs (stderr is a pipe read at the end).
            "TRUTHSET_REQUEST_LOG": str(settings.data_dir / f"requests-{port}.log"),
        }
        servers.append(
            subprocess.Popen(
                [sys.executable, "-m", "truthset.cli.main", "serve"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
    deadline = time.monotonic() + 60
    for server, port in zip(servers, ports, strict=True):
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    stop_servers(servers)
                    raise SystemExit("a server did not start") from None
                time.sleep(0.2)
    return servers, ports


def stop_servers(servers: list[subprocess.Popen[bytes]], show_errors: bool = False) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        _out, errors = server.communicate(timeout=60)
        if show_errors:
            sys.stderr.write(errors.decode()[-3000:])


def profile(path: str, pid: int) -> subprocess.Popen[bytes]:
    """py-spy (pip install py-spy) sampling the first server while the workers run."""
    command = [
        "py-spy",
        "record",
        "-o",
        path,
        "-f",
        "raw",
        "-r",
        "250",
        "-p",
        str(pid),
        "--nonblocking",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    return process


def _stat(pid: int) -> list[str]:
    # The fields after the command name (which may hold spaces): state, ppid, ...
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def cpu_seconds(pids: list[int]) -> tuple[float, float]:
    """User + system CPU seconds used so far by the server processes and by their children
    (the background runners), from Linux's /proc: figures that hold on a busy machine, where
    throughput and latency do not."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) in pids:
                    children.append(int(entry.name))
            except (OSError, IndexError):
                continue  # ended meanwhile

    def used(group: list[int]) -> float:
        return sum(int(_stat(pid)[11]) + int(_stat(pid)[12]) for pid in group) / ticks

    return used(pids), used(children)


def fresh_database(url: str, suffix: str) -> str:
    """'' for SQLite (a file in the run's folder); for PostgreSQL a new, empty database."""
    if not url:
        return ""
    parsed = make_url(url)
    name = f"{parsed.database}_{suffix}"
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


@dataclass
class Result:
    objects: int
    servers: int
    completed: int
    seconds: float
    load: Load
    completed_after: float | None
    server_cpu: float
    runner_cpu: float

    @property
    def cpu_ms_per_task(self) -> float:
        return self.server_cpu / self.completed * 1000

    @property
    def rate(self) -> float:
        return self.completed / self.seconds

    def p(self, name: str, share: float) -> float:
        return percentile(self.load.latencies[name], share)

    @property
    def p99_all(self) -> float:
        return percentile(self.load.latencies["next-task"] + self.load.latencies["answer"], 0.99)


def run(args: argparse.Namespace, objects: int, servers: int) -> Result:
    folder = Path(tempfile.mkdtemp(prefix="truthset-bench-"))
    url = fresh_database(args.database_url, f"{objects}_{servers}")
    settings = Settings(data_dir=folder, database_url=url, fast_password_hashing=True)
    print(f"-- {objects} objects x {args.per_object}, {servers} server(s): preparing", flush=True)
    started = time.perf_counter()
    tokens = prepare(settings, args.workers, objects, args.per_object)
    print(f"   job created in {time.perf_counter() - started:.1f} s", flush=True)
    processes, ports = start_servers(settings, servers)
    whole = objects * args.per_object
    budget = min(args.tasks or whole, whole)
    profiler = profile(args.profile, processes[0].pid) if args.profile else None
    pids = [process.pid for process in processes]
    cpu_before = cpu_seconds(pids)
    try:
        seconds, load = uvloop.run(drive(ports, tokens, budget))
    except Exception:
        stop_servers(processes, show_errors=True)
        raise
    cpu_after = cpu_seconds(pids)
    server_cpu, runner_cpu = (
        after - before for after, before in zip(cpu_after, cpu_before, strict=True)
    )
    if profiler is not None:
        profiler.send_signal(2)
        profiler.wait(timeout=60)
    completed_after = wait_for_completion(settings) if budget == whole else None
    stop_servers(processes)
    result = Result(
        objects, servers, load.done, seconds, load, completed_after, server_cpu, runner_cpu
    )
    report(result)
    print("   " + check_invariants(settings, args.per_object, objects if budget == whole else None))
    shutil.rmtree(folder, ignore_errors=True)
    return result


def report(result: Result) -> None:
    print(
        f"   completed tasks      {result.completed} in {result.seconds:.1f} s = {result.rate:.0f} tasks/s"
    )
    for name, label in [
        ("next-task", "next-task"),
        # A worker's first request also opens its connection and fills the server's caches.
        ("later next-task", "  after the first"),
        ("answer", "answer"),
    ]:
        values = result.load.latencies[name]
        print(
            f"   {label:<20} p50 {percentile(values, 0.5):6.1f} ms   p99 {percentile(values, 0.99):6.1f} ms   mean {sum(values) / len(values) * 1000:6.1f} ms"
        )
    print(f"   {'all requests':<20} p99 {result.p99_all:6.1f} ms")
    print(
        f"   CPU per task         {result.cpu_ms_per_task:.2f} ms in the servers, "
        f"{result.runner_cpu / result.completed * 1000:.2f} ms in their runners"
    )
    if result.completed_after is not None:
        print(f"   job Completed {result.completed_after:.1f} s after the last answer")


def table(results: list[Result], backend: str, workers: int) -> None:
    base = results[0]
    print(f"\ndispatch benchmark: {backend}, {workers} concurrent workers")
    print(
        "| objects | servers | tasks | tasks/s | next-task p99 (after first) | answer p99 | all p99 | server CPU/task | vs first row |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.objects:,} | {r.servers} | {r.completed:,} | {r.rate:.0f} | "
            f"{r.p('later next-task', 0.99):.0f} ms | {r.p('answer', 0.99):.0f} ms | "
            f"{r.p99_all:.0f} ms | {r.cpu_ms_per_task:.2f} ms | {r.rate / base.rate:.2f}x rate, {r.p99_all / base.p99_all:.2f}x p99 |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--objects", default="2000", help="job sizes, comma-separated")
    parser.add_argument("--per-object", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=0, help="completed tasks per run (0: all)")
    parser.add_argument("--servers", default="1", help="server process counts, comma-separated")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--profile", default="", help="py-spy raw profile of the first server")
    args = parser.parse_args()
    sizes = [int(size.replace("_", "")) for size in args.objects.split(",")]
    counts = [int(count) for count in args.servers.split(",")]
    results = [run(args, objects, servers) for servers in counts for objects in sizes]
    table(results, durability(args.database_url), args.workers)


def durability(url: str) -> str:
    """The backend and what a commit waits for: PostgreSQL's default (synchronous_commit on)
    flushes the WAL on every commit, SQLite's NORMAL does not; compare like with like."""
    if not url:
        mode = os.environ.get("TRUTHSET_SQLITE_SYNCHRONOUS", "NORMAL")
        return f"SQLite (synchronous={mode})"
    admin = make_url(url).set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False)) as conn:
        commit = conn.execute("SHOW synchronous_commit").fetchone()
        fsync = conn.execute("SHOW fsync").fetchone()
    return f"PostgreSQL (synchronous_commit={commit and commit[0]}, fsync={fsync and fsync[0]})"


if __name__ == "__main__":
    main()
