"""Streaming jobs: how fast objects are accepted, and how soon a worker sees a new one.

A real `truthset serve` (with its runner process) and a moto server for SNS/SQS on loopback.
It prints:
- REST: objects/s accepted by POST /api/v1/jobs/{name}/objects (C clients, B lines per request,
  and one line per request);
- SQS: objects/s the runner moves from the job's queue GroundTruth-<name> into the job (the
  queue is filled before the server starts, so the figure is the runner's alone);
- arrival to first hand-out: seconds from an object's acceptance (REST 200, or SNS publish) to
  the next-task call that leases it, with a worker polling next-task all the time.

    .venv/bin/python benchmarks/streaming.py [--objects 5000] [--batch 100] [--clients 4]
        [--sqs 2000] [--samples 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
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
from sqlalchemy import func, select

from truthset import jobs, workforce
from truthset.db.tables import DataObject
from truthset.deployment import Deployment, open_deployment
from truthset.settings import Settings

SECRET = "benchmark-secret"
PASSWORD = "benchmark password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"{url} did not start") from None
            time.sleep(0.1)


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(url, process)
    return process, url


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "truthset.cli.main", "serve"],
        env={**os.environ, **env, "TRUTHSET_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/login", process)
    return process, url


def stored(dep: Deployment, job_id: int) -> int:
    with dep.db.read() as conn:
        return int(conn.scalar(select(func.count()).where(DataObject.job_id == job_id)) or 0)


def make_job(dep: Deployment, name: str, data: Path, topic: str | None) -> int:
    stream: dict[str, Any] = {"input_topic": topic} if topic else {}
    request = jobs.JobRequest(
        name=name,
        manifest="",
        output=str(data / "out"),
        task_type="text-classification",
        team="bench",
        labels=["yes", "no"],
        workers_per_object=1,
        options={"streaming": stream or True},
    )
    return jobs.create_job(dep, request).id


def rest_rate(url: str, token: str, name: str, objects: int, batch: int, clients: int) -> float:
    """Objects/s accepted over REST by `clients` threads sending `batch` lines per request."""
    per_client = objects // clients
    headers = {"Authorization": f"Bearer {token}"}

    def send(client_no: int) -> None:
        with httpx.Client(headers=headers, timeout=60) as http:
            for start in range(0, per_client, batch):
                body = "".join(
                    json.dumps({"source": f"c{client_no} text {start + i}"}) + "\n"
                    for i in range(min(batch, per_client - start))
                )
                response = http.post(f"{url}/api/v1/jobs/{name}/objects", content=body.encode())
                response.raise_for_status()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return per_client * clients / (time.perf_counter() - began)


def fill_queue(name: str, count: int) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.get_queue_url(QueueName=f"GroundTruth-{name.lower()}")["QueueUrl"]
    for start in range(0, count, 10):
        entries = [
            {"Id": str(i), "MessageBody": json.dumps({"source": f"queued {start + i}"})}
            for i in range(min(10, count - start))
        ]
        sqs.send_message_batch(QueueUrl=queue, Entries=entries)


def sqs_rate(dep: Deployment, job_id: int, count: int) -> float:
    """Objects/s from the first object stored to the last (the runner starts with the server)."""
    while stored(dep, job_id) == 0:
        time.sleep(0.01)
    began = time.perf_counter()
    while stored(dep, job_id) < count:
        time.sleep(0.01)
    return count / (time.perf_counter() - began)


def first_hand_out(
    url: str, admin: str, worker: str, name: str, samples: int, publish: Any = None
) -> list[float]:
    """Seconds from an object's acceptance to the next-task call that leases it."""
    waits = []
    with httpx.Client(timeout=30) as http:
        for n in range(samples):
            if publish is None:
                added = http.post(
                    f"{url}/api/v1/jobs/{name}/objects",
                    content=json.dumps({"source": f"latency {n}"}).encode(),
                    headers={"Authorization": f"Bearer {admin}"},
                )
                added.raise_for_status()
                accepted = time.perf_counter()
            else:
                accepted = time.perf_counter()
                publish(n)
            while True:
                task = http.post(
                    f"{url}/api/v1/worker/jobs/{name}/next-task",
                    headers={"Authorization": f"Bearer {worker}"},
                )
                if task.status_code == 200:
                    waits.append(time.perf_counter() - accepted)
                    done = http.post(
                        f"{url}/api/v1/worker/tasks/{task.json()['task_id']}/answer",
                        json={"answer": {"crowd-classifier": {"label": "yes"}}},
                        headers={"Authorization": f"Bearer {worker}"},
                    )
                    done.raise_for_status()
                    break
    return waits


def describe(waits: list[float]) -> str:
    ordered = sorted(waits)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--sqs", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="truthset-streaming-"))
    moto, endpoint = start_moto()
    aws = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    os.environ.update(aws)
    database = args.database_url or f"sqlite:///{folder / 'truthset.db'}"
    settings = Settings(
        data_dir=folder / "data",
        database_url=database,
        secret_key=SECRET,  # type: ignore[arg-type]
        fast_password_hashing=True,
    )
    dep = open_deployment(settings)
    admin, _ = workforce.create_admin(dep, "admin@example.org", PASSWORD)
    workforce.create_team(dep, "bench", "benchmark team")
    [(worker, _)] = workforce.create_workers(dep, ["w@example.org"], "bench", PASSWORD)
    topic = boto3.client("sns", region_name="us-east-1").create_topic(Name="bench-in")["TopicArn"]
    root = (folder / "data").resolve()
    rest_job = make_job(dep, "rest", root, None)
    sqs_job = make_job(dep, "sqs", root, topic)
    fill_queue("sqs", args.sqs)
    env = {
        **aws,
        "TRUTHSET_DATA_DIR": str(settings.data_dir),
        "TRUTHSET_DATABASE_URL": database,
        "TRUTHSET_SECRET_KEY": SECRET,
        "TRUTHSET_FAST_PASSWORD_HASHING": "true",
        "TRUTHSET_BACKGROUND_INTERVAL": "0.2",
        "TRUTHSET_STREAM_POLL_INTERVAL": "0.2",
    }
    server, url = start_server(env)
    try:
        admin_token = workforce.issue_token(dep, admin.id, "api")
        worker_token = workforce.issue_token(dep, worker.id, "api")
        sqs = sqs_rate(dep, sqs_job, args.sqs)
        batched = rest_rate(url, admin_token, "rest", args.objects, args.batch, args.clients)
        single = rest_rate(url, admin_token, "rest", max(200, args.objects // 20), 1, args.clients)
        assert stored(dep, rest_job) > 0
        latency_job = make_job(dep, "latency", root, None)
        rest_waits = first_hand_out(url, admin_token, worker_token, "latency", args.samples)
        sns = boto3.client("sns", region_name="us-east-1")
        topic2 = sns.create_topic(Name="bench-latency")["TopicArn"]
        make_job(dep, "snslatency", root, topic2)
        sns_waits = first_hand_out(
            url,
            admin_token,
            worker_token,
            "snslatency",
            args.samples,
            publish=lambda n: sns.publish(
                TopicArn=topic2, Message=json.dumps({"source": f"sns latency {n}"})
            ),
        )
        assert latency_job
    finally:
        server.terminate()
        server.wait(timeout=30)
        moto.terminate()
        moto.wait(timeout=30)
    backend = "postgresql" if database.startswith("postgresql") else "sqlite"
    print(f"streaming benchmark ({backend}, {os.cpu_count()} cores)")
    print(f"REST, {args.batch} lines per request, {args.clients} clients: {batched:,.0f} objects/s")
    print(f"REST, 1 line per request, {args.clients} clients: {single:,.0f} objects/s")
    print(f"SQS queue -> job (runner): {sqs:,.0f} objects/s over {args.sqs} messages")
    print(f"arrival to first hand-out, REST: {describe(rest_waits)}")
    print(f"arrival to first hand-out, SNS -> SQS: {describe(sns_waits)}")


if __name__ == "__main__":
    main()
