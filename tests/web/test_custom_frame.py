"""The task frame of a custom job: Ground Truth's Liquid filters on missing values, its element
script and stylesheet replaced, origins the job allows in the frame's policy, and the
template's own files served from the deployment."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.support.factories import make_admin, make_team, write_manifest
from tests.web.test_api_flow import login, step
from truthset import dispatch, taskui
from truthset.cli.main import app
from truthset.deployment import Deployment

TEMPLATE = """<html><head>
<link rel="stylesheet" href="https://assets.crowd.aws/css/crowd-html-elements-v2.css" />
<script src="https://assets.crowd.aws/crowd-html-elements-v2.js"></script>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<script src="lib/app.js"></script><link rel="stylesheet" href="style.css">
</head><body><crowd-form>
<div id="ranking" data-responses='{{ task.input.responses | to_json }}'>{{ task.input.source }}</div>
<a href="#top">top</a><img src="{{ task.input.missing | grant_read_access }}">
</crowd-form></body></html>"""


def test_missing_values_render_as_ground_truth_renders_them() -> None:
    html = taskui.render(TEMPLATE, {"source": "prompt"}, lambda uri: f"/signed/{uri}")
    assert "data-responses='null'" in html
    assert '<img src="">' in html
    assert "assets.crowd.aws" not in html
    assert html.count('<script type="module" src="/static/crowd/crowd-html-elements.js">') == 1


def test_objects_and_lists_of_objects_print_as_json() -> None:
    # The A2I Textract sample: initial-value="{{ task.input.selectedAiServiceResponse.blocks }}",
    # which AWS's element parses as JSON.
    blocks = [{"BlockType": "LINE", "Text": "Total <b>"}, {"BlockType": "WORD", "Id": "a'b"}]
    html = taskui.render(
        '<crowd-form><x-el initial-value="{{ task.input.r.blocks }}" data-o="{{ task.input.r }}">'
        "{{ task.input.words }}</x-el></crowd-form>",
        {"r": {"blocks": blocks}, "words": ["a", "b"]},
        lambda uri: uri,
    )
    found = re.search(r'initial-value="([^"]*)" data-o="([^"]*)">(\w*)<', html)
    assert found is not None
    assert json.loads(unescape(found.group(1))) == blocks
    assert json.loads(unescape(found.group(2))) == {"blocks": blocks}
    assert found.group(3) == "ab"  # a list of strings prints as Liquid joins it


def test_the_frame_allows_the_jobs_origins_and_serves_its_own_files(
    client: TestClient, dep: Deployment, tmp_path: Path
) -> None:
    dep.settings.template_origins = ["https://cdn.example.org"]
    (worker,) = make_team(dep, "raters", workers=1)
    folder = tmp_path / "ui"
    (folder / "lib").mkdir(parents=True)
    (folder / "ranking.liquid").write_text(TEMPLATE)
    (folder / "lib" / "app.js").write_text("window.ranked = true;")
    (folder / "style.css").write_text("body { color: teal }")
    manifest = write_manifest(dep.settings.data_dir / "in.manifest", [{"source": "prompt"}])
    env = {"TRUTHSET_SECRET_KEY": "test-secret-key"}
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
            "ranking",
            "--task-type",
            "custom",
            "--template",
            str(folder / "ranking.liquid"),
            "--manifest",
            str(manifest),
            "--output",
            str(dep.settings.data_dir / "out"),
            "--team",
            "raters",
            "--allow-origin",
            "https://code.jquery.com",
        ],
        env=env,
    )
    assert created.exit_code == 0, created.output
    task = dispatch.next_task(dep, worker, "ranking")
    assert task is not None
    headers = login(client, worker.email)
    frame = client.get(f"/portal/tasks/{task.task_id}/frame", headers=headers)
    policy = frame.headers["content-security-policy"]
    assert policy.startswith("sandbox allow-scripts allow-forms allow-modals;")
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert "https://code.jquery.com" in script_src and "https://cdn.example.org" in script_src
    urls = [part.split('"')[0] for part in frame.text.split('src="')[1:]] + [
        part.split('"')[0] for part in frame.text.split('href="')[1:]
    ]
    own = {url.rsplit("/", 1)[-1]: url for url in urls if url.startswith("/template-assets/")}
    assert set(own) == {"app.js", "style.css"}
    script = client.get(own["app.js"])
    assert script.status_code == 200 and script.text == "window.ranked = true;"
    assert script.headers["content-type"].startswith("text/javascript")
    assert "sandbox" in script.headers["content-security-policy"]
    assert client.get(own["style.css"]).headers["content-type"].startswith("text/css")
    token = own["app.js"].split("/")[2]
    assert client.get(f"/template-assets/{token}/ranking.liquid").status_code == 404
    assert client.get(f"/template-assets/{token}/../../truthset.db").status_code == 404
    assert client.get("/template-assets/forged-token/lib/app.js").status_code == 404
    stored = Path(dep.settings.data_dir / "out/ranking/annotation-tool/assets/lib/app.js")
    assert stored.read_text() == "window.ranked = true;"


def test_a_job_without_allowed_origins_keeps_the_frame_to_itself(
    client: TestClient, dep: Deployment
) -> None:
    (worker,) = make_team(dep, "raters", workers=1)
    manifest = write_manifest(dep.settings.data_dir / "in.manifest", [{"source": "x"}])
    make_admin(dep)
    headers_admin = login(client, "admin@example.org")
    body = {
        "name": "plain",
        "manifest": str(manifest),
        "output": str(dep.settings.data_dir / "out"),
        "task_type": "custom",
        "team": "raters",
        "ui_template": "<crowd-form>{{ task.input.source }}</crowd-form>",
    }
    assert client.post("/api/v1/jobs", json=body, headers=headers_admin).status_code == 201
    step(dep)
    task = client.post(
        "/api/v1/worker/jobs/plain/next-task", headers=login(client, worker.email)
    ).json()
    frame = client.get(
        f"/portal/tasks/{task['task_id']}/frame", headers=login(client, worker.email)
    )
    script_src = next(
        d
        for d in frame.headers["content-security-policy"].split("; ")
        if d.startswith("script-src")
    )
    assert script_src == "script-src 'self' 'unsafe-inline' 'unsafe-eval'"
    assert json.loads(json.dumps(task["input"])) == {"source": "x"}


def test_an_annotation_element_without_a_form_gets_one() -> None:
    bare = '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>\n<crowd-bounding-box name="boxes" src="{{ task.input.source }}"></crowd-bounding-box>'
    html = taskui.render(bare, {"source": "/a.png"}, lambda uri: uri)
    assert html.count("<crowd-form>") == 1 and html.rstrip().endswith("</crowd-form>")
    # crowd-entity-annotation brings its own form in its shadow root, as AWS's does (gallery
    # templates append questions to it), so it is left as written.
    entities = taskui.render(
        '<crowd-entity-annotation name="e" text="Sue"></crowd-entity-annotation>', {}, lambda u: u
    )
    assert "<crowd-form>" not in entities
    framed = taskui.render(
        "<html><body><crowd-form><p>x</p></crowd-form></body></html>", {}, lambda uri: uri
    )
    assert framed.count("<crowd-form>") == 1
    page = taskui.render(
        "<html><body><crowd-classifier name='c'></crowd-classifier></body></html>",
        {},
        lambda uri: uri,
    )
    assert "<body><crowd-form><crowd-classifier" in page and "</crowd-form></body>" in page
