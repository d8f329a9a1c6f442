"""Custom jobs end to end through the CLI and the REST API: PassThrough labels, a pre- and
post-annotation hook pair (Python files and an HTTP endpoint), skipped objects, gold answers,
worker quality, stopping conditions, and hooks that fail in every way."""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.support.factories import make_admin, make_team, write_manifest
from tests.web.test_api_flow import login, step
from truthset import dispatch, jobs, quality
from truthset.background.runner import run_job
from truthset.cli.main import app
from truthset.deployment import Deployment
from truthset.errors import Invalid
from truthset.workforce import UserInfo

SAMPLES = Path(__file__).resolve().parents[1] / "hooks" / "samples"
TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form><p>{{ task.input.taskObject | default: task.input.source }}</p>
<input name="sentiment" value=""></crowd-form>"""


def manifest(dep: Deployment, name: str, lines: list[dict[str, Any]]) -> str:
    return str(write_manifest(dep.settings.data_dir.resolve() / f"{name}.manifest", lines))


def output_lines(job: jobs.JobInfo) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(job.output_manifest).read_text().splitlines()]


def work(
    dep: Deployment, worker: UserInfo, job: str, answer: Any, limit: int = 100
) -> list[dict[str, Any]]:
    """Answers the tasks the worker is given (at most `limit`); returns the task inputs seen."""
    seen: list[dict[str, Any]] = []
    while len(seen) < limit and (task := dispatch.next_task(dep, worker, job)) is not None:
        seen.append(json.loads(task.line))
        dispatch.submit_answer(
            dep, worker, task.task_id, answer(seen[-1]) if callable(answer) else answer
        )
    return seen


def finish(dep: Deployment, name: str, passes: int = 4) -> jobs.JobInfo:
    for _ in range(passes):
        run_job(dep, jobs.describe_job(dep, name).id, "test-runner")
    return jobs.describe_job(dep, name)


def test_a_passthrough_job_through_the_cli(dep: Deployment, tmp_path: Path) -> None:
    workers = make_team(dep, "raters", workers=2)
    source = manifest(dep, "reviews", [{"source": "great"}, {"source": "awful", "id": 7}])
    template = tmp_path / "review.liquid"
    template.write_text(TEMPLATE)
    env = {"TRUTHSET_SECRET_KEY": "test-secret-key", "TRUTHSET_FAST_PASSWORD_HASHING": "1"}
    base = [
        "--data-dir",
        str(dep.settings.data_dir),
        "--database-url",
        dep.settings.resolved_database_url,
    ]
    created = CliRunner().invoke(
        app,
        [
            *base,
            "job",
            "create",
            "reviews",
            "--task-type",
            "custom",
            "--template",
            str(template),
            "--manifest",
            source,
            "--output",
            str(dep.settings.data_dir / "out"),
            "--team",
            "raters",
            "--workers-per-object",
            "2",
        ],
        env=env,
    )
    assert created.exit_code == 0, created.output
    for worker in workers:
        # Without a pre-annotation hook, task.input is the manifest line (PRE-PassThrough).
        assert work(dep, worker, "reviews", {"sentiment": worker.email}) == [
            {"source": "great"},
            {"source": "awful", "id": 7},
        ]
    job = finish(dep, "reviews")
    assert job.status == "Completed" and job.counters.human_labeled == 2
    first, second = output_lines(job)
    label = first["reviews"]
    assert [a["workerId"] for a in label["annotationsFromAllWorkers"]] == [
        w.worker_id for w in workers
    ]
    assert json.loads(label["annotationsFromAllWorkers"][0]["annotationData"]["content"]) == {
        "sentiment": workers[0].email
    }
    meta = first["reviews-metadata"]
    assert meta["type"] == "groundtruth/custom" and meta["job-name"] == "labeling-job/reviews"
    assert meta["human-annotated"] == "yes" and "creation-date" in meta
    assert second["id"] == 7  # the rest of the line is kept
    described = CliRunner().invoke(app, [*base, "job", "describe", "reviews"], env=env)
    assert "custom" in described.output and "Completed" in described.output


@pytest.fixture
def http_post_hook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An HTTP post-annotation hook: the local payload comes inline as payload.content."""
    events: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            events.append(event)
            payload = json.loads(event["payload"]["content"])
            attribute = event["labelAttributeName"]
            body = json.dumps(
                [
                    {
                        "datasetObjectId": item["datasetObjectId"],
                        "consolidatedAnnotation": {
                            "content": {attribute: {"answers": len(item["annotations"])}}
                        },
                    }
                    for item in payload
                ]
            ).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/consolidate", events
    server.shutdown()
    server.server_close()


def python_hook(name: str) -> dict[str, str]:
    return {"kind": "python", "name": name, "source": (SAMPLES / name).read_text()}


def test_a_hook_pair_through_the_rest_api(
    client: TestClient, dep: Deployment, http_post_hook: tuple[str, list[dict[str, Any]]]
) -> None:
    make_admin(dep)
    workers = make_team(dep, "raters", workers=3)
    admin = login(client, "admin@example.org")
    lines = [
        {"source": "great", "choices": ["pos", "neg"]},
        {"source": "awful", "choices": ["pos", "neg"]},
        {"source": "not for people", "skip": True},
    ]
    for name, post in (
        ("python-pair", python_hook("post_annotation.py")),
        ("http-post", http_post_hook[0]),
    ):
        body = {
            "name": name,
            "manifest": manifest(dep, name, lines),
            "output": str(dep.settings.data_dir / "out"),
            "task_type": "custom",
            "team": "raters",
            "workers_per_object": 3,
            "ui_template": TEMPLATE,
            "options": {"pre_hook": python_hook("pre_annotation.py"), "post_hook": post},
        }
        response = client.post("/api/v1/jobs", json=body, headers=admin)
        assert response.status_code == 201, response.text
    step(dep)  # import, then the pre-annotation hook runs in the background runner
    step(dep)
    for index, worker in enumerate(workers):
        headers = login(client, worker.email)
        for name in ("python-pair", "http-post"):
            while (
                task := client.post(f"/api/v1/worker/jobs/{name}/next-task", headers=headers)
            ).status_code == 200:
                given = task.json()
                # task.input is the pre-annotation hook's taskInput
                assert given["input"]["taskObject"] in ("great", "awful")
                assert given["input"]["choices"] == ["pos", "neg"]
                frame = client.get(f"/portal/tasks/{given['task_id']}/frame", headers=headers)
                assert given["input"]["taskObject"] in frame.text
                answer = {"sentiment": "neg" if index == 2 else "pos"}
                sent = client.post(
                    f"/api/v1/worker/tasks/{given['task_id']}/answer",
                    json={"answer": answer},
                    headers=headers,
                )
                assert sent.status_code == 204
    for _ in range(3):
        step(dep)
    majority = jobs.describe_job(dep, "python-pair")
    assert majority.status == "Completed"
    # The skipped object (isHumanAnnotationRequired false) stays unlabeled, line unchanged.
    assert (majority.counters.human_labeled, majority.counters.unlabeled) == (2, 1)
    lines_out = output_lines(majority)
    assert [line.get("python-pair") for line in lines_out] == [
        {"sentiment": "pos"},
        {"sentiment": "pos"},
        None,
    ]
    assert lines_out[2] == lines[2]
    folder = Path(majority.output_folder) / "annotations/consolidated-annotation"
    request = json.loads(next((folder / "consolidation-request/iteration-1").iterdir()).read_text())
    assert {r["datasetObjectId"] for r in request} == {"0", "1"}
    assert request[0]["dataObject"] == {"content": "great"}
    # Two of three workers agree with the hook's label on every object.
    agreement = {w.email: w.agreement for w in quality.job_quality(dep, "python-pair").workers}
    assert agreement == {workers[0].email: 1.0, workers[1].email: 1.0, workers[2].email: 0.0}
    counted = jobs.describe_job(dep, "http-post")
    assert counted.status == "Completed"
    assert [line.get("http-post") for line in output_lines(counted)] == [
        {"answers": 3},
        {"answers": 3},
        None,
    ]
    event = http_post_hook[1][0]
    assert event["version"] == "2018-10-16" and event["labelAttributeName"] == "http-post"
    assert (
        event["labelingJobArn"] == "arn:aws:sagemaker:us-east-1:000000000000:labeling-job/http-post"
    )
    assert event["payload"]["s3Uri"].startswith("file:///") and event["labelCategories"] is None


FAILING = {
    "exception": "def lambda_handler(event, context):\n    raise RuntimeError('database is down')\n",
    "timeout": "import time\ndef lambda_handler(event, context):\n    time.sleep(60)\n",
    "garbage": "def lambda_handler(event, context):\n    return {'datasetObjectId': 'not a list'}\n",
    "10 MB": "def lambda_handler(event, context):\n    return ['x' * (10 * 1024 * 1024)]\n",
}
REASONS = {
    "exception": "RuntimeError: database is down",
    "timeout": "did not answer within 1 s",
    "garbage": "must be a list",
    "10 MB": "larger than 6291456 bytes",
}


@pytest.mark.parametrize("failure", list(FAILING))
def test_a_failing_post_hook_fails_the_objects_but_the_job_finishes(
    dep: Deployment, failure: str
) -> None:
    dep.settings.hook_time_limit = 1
    dep.settings.hook_attempts = 2
    (worker,) = make_team(dep, "raters", workers=1)
    request = jobs.JobRequest(
        name="failing",
        manifest=manifest(dep, "failing", [{"source": "a"}, {"source": "b"}]),
        output=str(dep.settings.data_dir / "out"),
        task_type="custom",
        team="raters",
        workers_per_object=1,
        ui_template=TEMPLATE,
        options={"post_hook": {"kind": "python", "name": "post.py", "source": FAILING[failure]}},
    )
    jobs.create_job(dep, request)
    work(dep, worker, "failing", {"sentiment": "pos"})
    job = finish(dep, "failing", passes=4)
    assert job.status == "Completed"
    assert job.counters.failed == 2 and job.counters.total_labeled == 0
    failures = [
        json.loads(x)
        for x in (Path(job.output_folder) / "manifests/output/failures.jsonl")
        .read_text()
        .splitlines()
    ]
    assert [f["datasetObjectId"] for f in failures] == ["0", "1"]
    assert all(
        REASONS[failure] in f["failureReason"] and "after 2 attempts" in f["failureReason"]
        for f in failures
    )
    # No answer is lost: both are in the worker-response files.
    responses = Path(job.output_folder) / "annotations/worker-response/iteration-1"
    assert sorted(p.name for p in responses.iterdir()) == ["0", "1"]


def test_a_failing_pre_hook_fails_objects_before_any_worker_sees_them(dep: Deployment) -> None:
    dep.settings.hook_attempts = 2
    (worker,) = make_team(dep, "raters", workers=1)
    source = (
        "def lambda_handler(event, context):\n"
        "    if event['dataObject']['source'] == 'bad':\n        raise ValueError('unreadable')\n"
        "    return {'taskInput': {'text': event['dataObject']['source']}}\n"
    )
    request = jobs.JobRequest(
        name="prefail",
        manifest=manifest(dep, "prefail", [{"source": "good"}, {"source": "bad"}]),
        output=str(dep.settings.data_dir / "out"),
        task_type="custom",
        team="raters",
        workers_per_object=1,
        ui_template=TEMPLATE,
        options={"pre_hook": {"kind": "python", "name": "pre.py", "source": source}},
    )
    jobs.create_job(dep, request)
    finish(dep, "prefail", passes=3)
    assert work(dep, worker, "prefail", {"sentiment": "pos"}) == [{"text": "good"}]
    job = finish(dep, "prefail")
    assert (
        job.status == "Completed" and job.counters.failed == 1 and job.counters.human_labeled == 1
    )
    assert (
        "pre-annotation hook: the hook raised an exception"
        in (Path(job.output_folder) / "manifests/output/failures.jsonl").read_text()
    )


def test_gold_answers_of_a_custom_job_are_matched_exactly(dep: Deployment) -> None:
    workers = make_team(dep, "raters", workers=2)
    lines: list[dict[str, Any]] = [{"source": f"text {i}"} for i in range(4)]
    lines.append({"source": "known", "truthset-gold": {"sentiment": "pos"}})
    request = jobs.JobRequest(
        name="golden",
        manifest=manifest(dep, "golden", lines),
        output=str(dep.settings.data_dir / "out"),
        task_type="custom",
        team="raters",
        workers_per_object=1,
        ui_template=TEMPLATE,
        options={"gold_ratio": 1.0, "max_human_labeled": 2},
    )
    jobs.create_job(dep, request)
    for worker, said in zip(workers, ("pos", "neg"), strict=True):
        # The gold question first (share 1.0), then one real object each.
        assert work(dep, worker, "golden", {"sentiment": said}, limit=2)[0] == lines[-1]
    report = {w.email: w for w in quality.job_quality(dep, "golden").workers}
    assert report[workers[0].email].gold_accuracy == 1.0
    assert report[workers[1].email].gold_accuracy == 0.0
    # PassThrough labels are no answer to agree with.
    assert report[workers[0].email].agreement is None
    job = finish(dep, "golden")
    # The stopping condition ends the job once 2 objects are labeled; 2 stay unlabeled.
    assert job.status == "Stopped"
    assert (job.counters.human_labeled, job.counters.unlabeled) == (2, 2)


def test_custom_jobs_refuse_what_they_cannot_run(dep: Deployment) -> None:
    make_team(dep, "raters", workers=1)
    base: dict[str, Any] = {
        "name": "bad",
        "manifest": manifest(dep, "bad", [{"source": "x"}]),
        "output": str(dep.settings.data_dir / "out"),
        "task_type": "custom",
        "team": "raters",
        "ui_template": TEMPLATE,
    }
    problems = [
        ({"ui_template": None}, "a custom job needs its worker template"),
        ({"options": {"pre_hook": "ftp://x"}}, "pre_hook: give an http(s) URL"),
        (
            {"options": {"post_hook": {"kind": "python", "name": "p.py", "source": "x = ("}}},
            "post_hook: p.py line 1",
        ),
        (
            {"options": {"pre_hook": {"kind": "python", "name": "p.py", "source": "x = 1"}}},
            "defines no lambda_handler",
        ),
        (
            {"options": {"allowed_origins": ["https://cdn.example.com; script-src *"]}},
            "is not an origin",
        ),
        (
            {
                "task_type": "text-classification",
                "labels": ["a", "b"],
                "options": {"pre_hook": "https://h.example/"},
            },
            "hooks are for custom jobs",
        ),
    ]
    for change, message in problems:
        with pytest.raises(Invalid, match=re.escape(message)):
            jobs.create_job(dep, jobs.JobRequest(**{**base, **change}))
    assert jobs.list_jobs(dep) == []


# Judges like a Ground Truth post-annotation function, and says how sure it is: sure (0.95)
# when at least two answers all agree, unsure (0.5) otherwise.
JUDGE = """
import json
from collections import Counter


def lambda_handler(event, context):
    with open(event["payload"]["s3Uri"].removeprefix("file://")) as handle:
        payload = json.load(handle)
    out = []
    for item in payload:
        said = [json.loads(a["annotationData"]["content"])["sentiment"] for a in item["annotations"]]
        winner, count = Counter(said).most_common(1)[0]
        sure = count == len(said) >= 2
        label = {"sentiment": winner, "confidence": 0.95 if sure else 0.5}
        out.append(
            {
                "datasetObjectId": item["datasetObjectId"],
                "consolidatedAnnotation": {"content": {event["labelAttributeName"]: label}},
            }
        )
    return out
"""


def test_adaptive_custom_job_stops_when_the_post_hook_is_confident(dep: Deployment) -> None:
    workers = make_team(dep, "raters", workers=4)
    lines = [{"source": f"text {i}", "hard": i >= 3} for i in range(6)]
    request = jobs.JobRequest(
        name="judged",
        manifest=manifest(dep, "judged", lines),
        output=str(dep.settings.data_dir / "out"),
        task_type="custom",
        team="raters",
        workers_per_object=4,
        ui_template=TEMPLATE,
        options={
            "post_hook": {"kind": "python", "name": "judge.py", "source": JUDGE},
            "adaptive": {"min_workers_per_object": 2, "target_confidence": 0.9},
        },
    )
    jobs.create_job(dep, request)
    job_id = jobs.describe_job(dep, "judged").id
    for k, worker in enumerate(workers):
        # Everyone agrees on the easy texts; on the hard ones every other worker dissents.
        work(
            dep,
            worker,
            "judged",
            lambda line, k=k: {"sentiment": "neg" if line["hard"] and k % 2 else "pos"},
        )
        # The hook judges in the runner's pass, never in the answer's request.
        run_job(dep, job_id, "test-runner")
    job = finish(dep, "judged")
    assert job.status == "Completed" and job.counters.total_labeled == 6
    responses = Path(job.output_folder) / "annotations/worker-response/iteration-1"
    counts = {
        int(folder.name): sum(
            len(json.loads(p.read_text())["answers"]) for p in folder.glob("*.json")
        )
        for folder in responses.iterdir()
    }
    # The hook was sure of the easy texts after two answers; the hard ones went to the maximum.
    assert counts == {0: 2, 1: 2, 2: 2, 3: 4, 4: 4, 5: 4}
    labels = {int(line["source"].split()[1]): line["judged"] for line in output_lines(job)}
    assert all(labels[i]["sentiment"] == "pos" for i in range(3))


def test_adaptive_custom_job_needs_a_post_hook(dep: Deployment) -> None:
    make_team(dep, "raters", workers=1)
    request = jobs.JobRequest(
        name="unjudged",
        manifest=manifest(dep, "unjudged", [{"source": "a"}]),
        output=str(dep.settings.data_dir / "out"),
        task_type="custom",
        team="raters",
        workers_per_object=3,
        ui_template=TEMPLATE,
        options={"adaptive": {"min_workers_per_object": 1}},
    )
    with pytest.raises(Invalid, match="need a post-annotation hook that returns a confidence"):
        jobs.create_job(dep, request)
