"""README's walkthrough, run as it is written.

Every ```sh block of README.md is joined into one bash script and run with `set -e` in a fresh
HOME and working directory, with this virtualenv's bin on PATH and no TRUTHSET_ variable from
outside but the port (so that the server it starts does not collide with anything). The images
it expects in ~/mammo/images are the demo's generated ones. While the script waits for the job,
three radiologists accept the printed invitations and answer every image through the REST API,
as people in the portal would; the script must then print the first line of the output manifest.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live import free_port
from truthset.demo import write_images

README = Path(__file__).resolve().parents[1] / "README.md"
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
INVITATION = re.compile(r"^(\S+@\S+)\s+(http://\S+/invite/\S+)$")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "a long walkthrough password"
LABELS = ["Right-CC", "Left-CC", "Right-MLO", "Left-MLO", "Not a mammography"]


def walkthrough() -> str:
    blocks = SH_BLOCK.findall(README.read_text())
    assert blocks, "README.md has no ```sh block"
    return "\n".join(blocks)


class Output:
    """The script's stdout, read as it comes (a pipe nobody reads would block the script)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, count: int, pattern: re.Pattern[str], deadline: float) -> list[str]:
        while time.monotonic() < deadline:
            found = [line for line in self.lines if pattern.match(line)]
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError("script output so far:\n" + "\n".join(self.lines))


def join_team(url: str, email: str) -> httpx.Client:
    """Accepts the invitation as its browser form does, then signs in for a bearer token."""
    client = httpx.Client(timeout=30)
    page = client.get(url)
    assert page.status_code == 200, page.text
    token = CSRF_FIELD.search(page.text)
    assert token is not None
    form = {"password": PASSWORD, "confirm": PASSWORD, "csrf_token": token.group(1)}
    accepted = client.post(url, data=form)
    assert accepted.status_code == 303, accepted.text
    base = url.split("/invite/")[0]
    bearer = httpx.post(f"{base}/api/v1/login", json={"email": email, "password": PASSWORD})
    client.cookies.clear()
    client.headers["Authorization"] = f"Bearer {bearer.json()['token']}"
    client.base_url = httpx.URL(base + "/api/v1")
    return client


def label_everything(client: httpx.Client, deadline: float) -> int:
    answered = 0
    while time.monotonic() < deadline:
        leased = client.post("/worker/jobs/mammo-views/next-task")
        if leased.status_code == 204:
            return answered
        if leased.status_code == 409:  # still storing its objects
            time.sleep(float(leased.headers.get("Retry-After", "1")))
            continue
        assert leased.status_code == 200, leased.text
        task = leased.json()
        label = LABELS[int(task["data_object_id"]) % len(LABELS)]
        answer = {"crowd-image-classifier": {"label": label}}
        stored = client.post(f"/worker/tasks/{task['task_id']}/answer", json={"answer": answer})
        assert stored.status_code == 204, stored.text
        answered += 1
    raise AssertionError("the radiologists ran out of time")


@pytest.fixture
def script(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    home = tmp_path / "home"
    write_images(home / "mammo" / "images")
    work = tmp_path / "work"
    work.mkdir()
    (work / "walkthrough.sh").write_text(walkthrough())
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRUTHSET_")}
    env.update(
        HOME=str(home),
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}",
        TRUTHSET_PORT=str(free_port()),
        # Test speed only: quick password hashing and a quick background runner.
        TRUTHSET_FAST_PASSWORD_HASHING="1",
        TRUTHSET_BACKGROUND_INTERVAL="0.2",
        TRUTHSET_OUTPUT_INTERVAL="0",
    )
    process = subprocess.Popen(
        ["bash", "-e", "walkthrough.sh"],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the server it starts in the background ends with it
    )
    yield process, home
    if process.poll() is None:
        os.killpg(process.pid, 9)
    process.wait(timeout=30)
    assert process.stdout is not None
    process.stdout.close()


def test_readme_walkthrough_runs_verbatim(script: tuple[subprocess.Popen[str], Path]) -> None:
    process, home = script
    output = Output(process)
    deadline = time.monotonic() + 240
    invitations = output.wait_for(3, INVITATION, deadline)
    clients = []
    for line in invitations:
        email, url = INVITATION.match(line).groups()  # type: ignore[union-attr]
        while time.monotonic() < deadline:  # until `truthset serve &` listens
            try:
                httpx.get(url.split("/invite/")[0] + "/login", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        clients.append(join_team(url, email))
    assert [label_everything(client, deadline) for client in clients] == [40, 40, 40]
    for client in clients:
        client.close()
    assert process.wait(timeout=max(1.0, deadline - time.monotonic())) == 0, output.lines
    output.thread.join(timeout=10)
    text = "\n".join(output.lines)
    assert "admin chief@hospital.example created" in text
    assert "team radiologists created" in text
    assert "40 objects written to" in text
    assert "images.manifest: 40 objects, no problems" in text
    assert "mammo-views: 40 of 40 objects done, Completed" in output.lines
    first = json.loads(next(line for line in output.lines if line.startswith('{"source-ref"')))
    assert first["source-ref"] == str(
        home / "mammo" / "images" / sorted(os.listdir(home / "mammo" / "images"))[0]
    )
    assert first["mammo-views-metadata"]["class-name"] in LABELS
    assert first["mammo-views-metadata"]["job-name"] == "labeling-job/mammo-views"
