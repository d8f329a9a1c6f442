"""Network limits with a real server on 127.0.0.2 and clients on other loopback addresses
(all of 127.0.0.0/8 is loopback on Linux): the workforce's networks (set with boto3's
UpdateWorkforce, IPv4 and IPv6) govern the worker API, portal and media; admin networks the
admin API; X-Forwarded-For counts only from a trusted proxy. Also `truthset serve` itself:
a client changing X-Forwarded-For on every sign-in attempt is still limited."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.support.factories import PASSWORD, make_admin, make_job, make_team
from tests.support.live import free_port, serve
from truthset import workforce
from truthset.app import create_app
from truthset.deployment import Deployment, open_deployment
from truthset.identity import accesskeys
from truthset.settings import Settings

SERVER = "127.0.0.2"


@contextmanager
def server(settings: Settings, **overrides: Any) -> Iterator[tuple[str, Deployment]]:
    port = free_port()
    values = {**settings.model_dump(), "public_base_url": f"http://{SERVER}:{port}", **overrides}
    dep = open_deployment(Settings(**values), migrate=False)
    try:
        with serve(create_app(deployment=dep), port, host=SERVER) as url:
            yield url, dep
    finally:
        dep.db.dispose()


def client_from(address: str, url: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=url, transport=transport, headers=headers)


def worker_token(dep: Deployment) -> str:
    (worker,) = make_team(dep, workers=1)
    return workforce.issue_token(dep, worker.id, "api")


def test_workforce_networks_from_update_workforce(settings: Settings) -> None:
    with server(settings) as (url, dep):
        make_admin(dep)
        key = accesskeys.create_access_key(dep, "admin@example.org")
        token = worker_token(dep)
        make_job(dep, objects=2, workers_per_object=1)
        sm = boto3.client(
            "sagemaker",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=key.access_key_id,
            aws_secret_access_key=key.secret_access_key,
        )
        with client_from("127.0.0.5", url, token) as outside:
            task = outside.post("/api/v1/worker/jobs/views/next-task").json()
            media = task["input"]["taskObject"]
            assert outside.get(media).status_code == 200
            sm.update_workforce(
                WorkforceName="default", SourceIpConfig={"Cidrs": ["127.0.0.4/32", "fd00:1::/64"]}
            )
            described = sm.describe_workforce(WorkforceName="default")["Workforce"]
            assert described["SourceIpConfig"] == {"Cidrs": ["127.0.0.4/32", "fd00:1::/64"]}
            refused = outside.get("/api/v1/worker/jobs")
            assert refused.status_code == 404 and "127.0.0.5" in refused.json()["error"]["message"]
            assert outside.get(media).status_code == 404
            assert outside.get("/portal", follow_redirects=False).status_code == 404
            forged = outside.get("/api/v1/worker/jobs", headers={"X-Forwarded-For": "127.0.0.4"})
            assert forged.status_code == 404, "a forged X-Forwarded-For must be ignored"
            assert outside.get("/login").status_code == 200, "sign-in pages stay reachable"
        with client_from("127.0.0.4", url, token) as inside:
            assert inside.get("/api/v1/worker/jobs").status_code == 200
            assert inside.get(media).status_code == 200


def test_a_trusted_proxy_is_believed_and_ipv6_networks_work(settings: Settings) -> None:
    overrides = {"workforce_cidrs": ["2001:db8:7::/48"], "trusted_proxies": ["127.0.0.9"]}
    with server(settings, **overrides) as (url, dep):
        token = worker_token(dep)
        with client_from("127.0.0.9", url, token) as proxy:
            via = {"X-Forwarded-For": "2001:db8:7::15"}
            assert proxy.get("/api/v1/worker/jobs", headers=via).status_code == 200
            # The client's own entry on the left cannot help it: the proxy appended its peer.
            spoofed = {"X-Forwarded-For": "2001:db8:7::15, 198.51.100.4"}
            assert proxy.get("/api/v1/worker/jobs", headers=spoofed).status_code == 404
            assert proxy.get("/api/v1/worker/jobs").status_code == 404
        with client_from("127.0.0.8", url, token) as not_a_proxy:
            via = {"X-Forwarded-For": "2001:db8:7::15"}
            assert not_a_proxy.get("/api/v1/worker/jobs", headers=via).status_code == 404


def test_admin_networks(settings: Settings) -> None:
    with server(settings, admin_cidrs=["127.0.0.6/32"]) as (url, dep):
        admin = make_admin(dep)
        token = workforce.issue_token(dep, admin.id, "api")
        with client_from("127.0.0.7", url, token) as outside:
            refused = outside.get("/api/v1/jobs")
            assert refused.status_code == 403 and refused.json()["error"]["type"] == "forbidden"
            assert outside.get("/console", follow_redirects=False).status_code == 403
            assert outside.get("/api/v1/me").status_code == 200
        with client_from("127.0.0.6", url, token) as inside:
            assert inside.get("/api/v1/jobs").status_code == 200


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """`truthset serve` as a process, as an admin runs it."""
    port = free_port()
    env = {
        **os.environ,
        "TRUTHSET_DATA_DIR": str(tmp_path / "data"),
        "TRUTHSET_RUN_BACKGROUND": "false",
        "TRUTHSET_FAST_PASSWORD_HASHING": "true",
    }
    command = [sys.executable, "-m", "truthset.cli.main"]
    subprocess.run(
        [*command, "admin", "create", "admin@example.org", "--password-stdin"],
        input=PASSWORD,
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/login", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_truthset_serve_ignores_forwarded_for_from_loopback(served: str) -> None:
    codes = [
        httpx.post(
            f"{served}/api/v1/login",
            json={"email": "admin@example.org", "password": f"spray-{i}"},
            headers={"X-Forwarded-For": f"10.1.{i}.1"},
        ).status_code
        for i in range(6)
    ]
    assert codes == [401] * 5 + [429]
