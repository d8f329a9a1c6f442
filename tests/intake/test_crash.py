"""kill -9 of `truthset serve` (and its runner) while objects stream in, through REST and
through the job's SQS queue: no object that was acknowledged is lost (REST 200 only after the
commit; an SQS message is deleted only after its object is committed), and none is stored twice.
The same for messages the intake refuses: each is counted as failed exactly once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import httpx
import pytest
from sqlalchemy import select

from tests.storage.s3_server import CREDENTIALS, moto_server
from tests.support import servers
from tests.support.factories import make_admin, make_team
from truthset import jobs, workforce
from truthset.db.tables import DataObject
from truthset.deployment import Deployment, open_deployment
from truthset.settings import Settings

SNS_MESSAGES = 60
REFUSED_EVERY = 3  # every third SNS message has no source: the intake refuses it


@dataclass
class Sent:
    acknowledged: set[str] = field(default_factory=set)
    url: list[str] = field(default_factory=list)
    stop: bool = False


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    with moto_server() as endpoint:
        env = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield env


def _post_objects(sent: Sent, token: str) -> None:
    """One line per request, each with its own id, retried until it gets an answer."""
    number = 0
    while not sent.stop:
        line = {
            "source": f"text {number}",
            "dataset-objectid-attribute-name": "n",
            "n": f"r{number}",
        }
        try:
            response = httpx.post(
                f"{sent.url[-1]}/api/v1/jobs/stream/objects",
                content=json.dumps(line).encode(),
                headers={"Authorization": f"Bearer {token}"},
                timeout=5,
            )
        except httpx.TransportError:
            time.sleep(0.05)  # the server is down: send the same line again
            continue
        if response.status_code == 200:
            sent.acknowledged.add(f"r{number}")
            number += 1


def _sns_line(number: int) -> str:
    if number % REFUSED_EVERY == 0:
        return json.dumps({"text": "no source attribute", "n": f"s{number}"})
    return json.dumps({"source": "sns", "n": f"s{number}"})


def _ids(dep: Deployment) -> list[str]:
    with dep.db.read() as conn:
        lines = conn.scalars(select(DataObject.line)).all()
    return [str(json.loads(line)["n"]) for line in lines]


def _wait(condition: object, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_kill_9_while_objects_stream_in_loses_nothing_acknowledged(
    tmp_path: Path, database_url: str, aws: dict[str, str]
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="crash-secret",  # type: ignore[arg-type]
        fast_password_hashing=True,
        background_interval=0.1,
        stream_poll_interval=0.1,
        output_interval=0.5,
    )
    dep = open_deployment(settings)
    admin = make_admin(dep)
    make_team(dep, workers=1)
    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="stream-in")["TopicArn"]
    request = jobs.JobRequest(
        name="stream",
        manifest="",
        output=str((tmp_path / "data" / "out").resolve()),
        task_type="text-classification",
        team="radiologists",
        labels=["yes", "no"],
        workers_per_object=1,
        options={"streaming": {"input_topic": topic}},
    )
    jobs.create_job(dep, request)
    token = workforce.issue_token(dep, admin.id, "api")
    env = {
        **aws,
        "TRUTHSET_DATA_DIR": str(settings.data_dir),
        "TRUTHSET_DATABASE_URL": database_url,
        "TRUTHSET_SECRET_KEY": "crash-secret",
        "TRUTHSET_FAST_PASSWORD_HASHING": "true",
        "TRUTHSET_BACKGROUND_INTERVAL": "0.1",
        "TRUTHSET_STREAM_POLL_INTERVAL": "0.1",
        "TRUTHSET_STREAM_VISIBILITY_SECONDS": "2",
    }
    sent = Sent()
    started: list[servers.Server] = []
    try:
        started.append(servers.start(env))
        sent.url.append(started[0].url)
        poster = threading.Thread(target=_post_objects, args=(sent, token), daemon=True)
        poster.start()
        for number in range(SNS_MESSAGES // 2):
            sns.publish(TopicArn=topic, Message=_sns_line(number))
        _wait(
            lambda: len(sent.acknowledged) >= 20 and any(i.startswith("s") for i in _ids(dep)),
            "input",
        )
        started[0].kill()
        for number in range(SNS_MESSAGES // 2, SNS_MESSAGES):
            sns.publish(TopicArn=topic, Message=_sns_line(number))
        started.append(servers.start(env))
        sent.url.append(started[1].url)
        before = len(sent.acknowledged)
        _wait(lambda: len(sent.acknowledged) >= before + 20, "input after the restart")
        sent.stop = True
        poster.join(timeout=30)
        _wait(
            lambda: sum(i.startswith("s") for i in _ids(dep)) >= SNS_MESSAGES, "every SNS message"
        )
        stored = _ids(dep)
        assert sent.acknowledged <= set(stored), "an acknowledged object is lost"
        assert len(stored) == len(set(stored)), "an object is stored twice"
        assert {i for i in stored if i.startswith("s")} == {f"s{n}" for n in range(SNS_MESSAGES)}
        info = jobs.describe_job(dep, "stream")
        assert info.object_count == len(stored)
        # A refused message is recorded before it leaves the queue, and only once.
        assert info.counters.failed == len(range(0, SNS_MESSAGES, REFUSED_EVERY))
    finally:
        sent.stop = True
        for server in started:
            if server.process.poll() is None:
                server.process.terminate()
                server.process.wait(timeout=30)
            server.log.close()
        dep.db.dispose()
