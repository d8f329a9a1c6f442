"""Augmented AI throughput: loops/s accepted through StartHumanLoop (boto3's
sagemaker-a2i-runtime client, SigV4, against a real `truthset serve`), and the time from a
loop's start to its hand-out to a worker (StartHumanLoop, then one next-task call).

    .venv/bin/python benchmarks/human_loops.py [--loops 3000] [--threads 8]
        [--samples 50] [--database-url URL]

Goals (2 cores): thousands of loops a minute (over 50 loops/s) with StartHumanLoop never
waiting for people; every new loop handed out at the worker's first next-task call.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

from truthset import task_uis, workforce
from truthset.deployment import open_deployment
from truthset.identity import accesskeys
from truthset.review import flows
from truthset.settings import Settings

PASSWORD = "benchmark password"
TEMPLATE = "<crowd-form><p>{{ task.input.text }}</p><input name='verdict'></crowd-form>"
ACCOUNT_ARN = "arn:aws:sagemaker:us-east-1:000000000000:flow-definition"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(settings: Settings) -> tuple[str, str]:
    """A worker, two flows (one filled in bulk, one for hand-out timing); the admin's key."""
    dep = open_deployment(settings)
    workforce.create_admin(dep, "admin@bench.example", PASSWORD)
    key = accesskeys.create_access_key(dep, "admin@bench.example")
    workforce.create_team(dep, "reviewers")
    workforce.create_workers(dep, ["w@bench.example"], "reviewers", PASSWORD)
    task_uis.create_task_ui(dep, "verdict-ui", TEMPLATE)
    for name in ("bulk", "timed"):
        flows.create_flow(
            dep,
            flows.FlowRequest(
                name=name,
                team="reviewers",
                task_ui="verdict-ui",
                task_count=1,
                title="Check",
                description="Is the model right?",
                output_path=str(settings.data_dir.resolve() / "a2i"),
            ),
        )
    dep.db.dispose()
    return key.access_key_id, key.secret_access_key


def start_server(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TRUTHSET_DATA_DIR": str(settings.data_dir),
        "TRUTHSET_DATABASE_URL": settings.database_url,
        "TRUTHSET_SECRET_KEY": "benchmark-secret",
        "TRUTHSET_PORT": str(port),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "truthset.cli.main", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return server
        except httpx.TransportError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit("the server did not start") from None
            time.sleep(0.2)


def client(url: str, key: tuple[str, str]) -> Any:
    return boto3.client(
        "sagemaker-a2i-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=4),
    )


def start(runtime: Any, flow: str, name: str, content: dict[str, Any]) -> None:
    runtime.start_human_loop(
        HumanLoopName=name,
        FlowDefinitionArn=f"{ACCOUNT_ARN}/{flow}",
        HumanLoopInput={"InputContent": json.dumps(content)},
    )


def bulk(url: str, key: tuple[str, str], loops: int, threads: int) -> tuple[float, list[float]]:
    """Starts `loops` loops from `threads` threads; returns loops/s and each call's seconds."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(loops))

    def run() -> None:
        runtime = client(url, key)
        mine = []
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            began = time.perf_counter()
            start(runtime, "bulk", f"loop-{i}", {"text": f"item {i}", "score": i % 100 / 100})
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    began = time.perf_counter()
    workers = [threading.Thread(target=run) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return loops / (time.perf_counter() - began), latencies


def hand_outs(url: str, key: tuple[str, str], samples: int) -> tuple[list[float], int]:
    """Start a loop, then one next-task call: seconds from the start call to the task in hand,
    and how many of the first calls came back empty."""
    runtime = client(url, key)
    misses = 0
    seconds = []
    with httpx.Client(base_url=url, timeout=30) as http:
        token = http.post("/api/v1/login", json={"email": "w@bench.example", "password": PASSWORD})
        http.headers["Authorization"] = f"Bearer {token.json()['token']}"
        for i in range(samples):
            began = time.perf_counter()
            start(runtime, "timed", f"timed-{i}", {"text": f"sample {i}"})
            response = http.post("/api/v1/worker/jobs/timed/next-task")
            seconds.append(time.perf_counter() - began)
            if response.status_code != 200 or response.json()["input"]["text"] != f"sample {i}":
                misses += 1
                continue
            task = response.json()["task_id"]
            http.post(f"/api/v1/worker/tasks/{task}/answer", json={"answer": {"verdict": "ok"}})
    return seconds, misses


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loops", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="truthset-loops-"))
    settings = Settings(
        data_dir=folder,
        database_url=args.database_url or f"sqlite:///{folder / 'truthset.db'}",
        secret_key="benchmark-secret",  # type: ignore[arg-type]
        fast_password_hashing=True,
    )
    key = prepare(settings)
    port = free_port()
    server = start_server(settings, port)
    url = f"http://127.0.0.1:{port}"
    try:
        rate, latencies = bulk(url, key, args.loops, args.threads)
        seconds, misses = hand_outs(url, key, args.samples)
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
    backend = "sqlite" if settings.database_url.startswith("sqlite") else "postgresql"
    print(f"StartHumanLoop ({backend}, {args.threads} threads, {args.loops} loops):")
    print(f"  {rate:,.0f} loops/s = {rate * 60:,.0f} loops/minute")
    print(
        f"  latency p50 {1000 * statistics.median(latencies):.1f} ms, "
        f"p99 {1000 * percentile(latencies, 0.99):.1f} ms"
    )
    print(f"Time to first hand-out ({args.samples} loops: StartHumanLoop, then one next-task):")
    print(
        f"  p50 {1000 * statistics.median(seconds):.1f} ms, p99 "
        f"{1000 * percentile(seconds, 0.99):.1f} ms, max {1000 * max(seconds):.1f} ms; "
        f"handed out at the first next-task call: {args.samples - misses}/{args.samples}"
    )


if __name__ == "__main__":
    main()
