"""A human task UI stored with its own files (`truthset template create`): a custom job made
through boto3 with its HumanTaskUiArn applies the stylesheet and runs the script in Chromium,
and submits; an A2I flow using it serves the same files; nothing outside the template's folder
is uploaded or served."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page
from sqlalchemy import select
from typer.testing import CliRunner

from tests.sagemaker.a2i import a2i, flow_request, signed_in, team_of
from tests.sagemaker.conftest import Live, unique
from tests.sagemaker.test_custom_jobs import custom_request, workers
from tests.sagemaker.test_labeling_jobs import wait_for
from tests.support.factories import PASSWORD
from truthset import task_uis
from truthset.cli.main import app
from truthset.db.tables import Annotation, Job
from truthset.errors import Invalid
from truthset.web.sagemaker.arns import human_task_ui_arn

TEMPLATE = """<html><head><link rel="stylesheet" href="./style.css">
<script src="./logic.js"></script><link rel="stylesheet" href="../secret.css">
<link rel="stylesheet" href="./leak.css"></head><body><crowd-form>
<p id="text">{{ task.input.source }}</p><input name="seen" id="seen" value="">
</crowd-form></body></html>"""
STYLE = "#text { color: rgb(0, 128, 0); }"
LOGIC = "addEventListener('DOMContentLoaded', () => { seen.value = 'script ran'; });"


def store_template(live: Live, tmp_path: Path, *extra: str) -> tuple[str, str]:
    """`template create` from a folder; returns the UI's name and the command's output."""
    folder = tmp_path / "ui"
    folder.mkdir()
    (folder / "ranker.liquid").write_text(TEMPLATE)
    (folder / "style.css").write_text(STYLE)
    (folder / "logic.js").write_text(LOGIC)
    (tmp_path / "secret.css").write_text("outside the folder")
    (folder / "leak.css").symlink_to(tmp_path / "secret.css")
    name = unique("ranker")
    settings = live.dep.settings
    base = ["--data-dir", str(settings.data_dir), "--database-url", settings.resolved_database_url]
    ran = CliRunner().invoke(
        app,
        [*base, "template", "create", name, str(folder / "ranker.liquid"), *extra],
        env={"TRUTHSET_SECRET_KEY": "sagemaker-test-key"},
    )
    assert ran.exit_code == 0, ran.output
    return name, ran.output


def annotations(live: Live, job: str) -> list[str]:
    with live.dep.db.read() as conn:
        job_id = conn.scalar(select(Job.id).where(Job.name_key == job.lower()))
        return list(conn.scalars(select(Annotation.content).where(Annotation.job_id == job_id)))


def test_a_job_from_the_stored_ui_loads_its_files_in_chromium(
    live: Live, tmp_path: Path, page: Page
) -> None:
    ui, printed = store_template(live, tmp_path)
    assert "2 files: logic.js, style.css" in printed
    assert task_uis.get_task_ui(live.dep, ui).assets == ("logic.js", "style.css")
    team, people = workers(live)
    request = custom_request(live, team, {}, [{"source": "rank me"}])
    request["HumanTaskConfig"]["NumberOfHumanWorkersPerDataObject"] = 1
    request["HumanTaskConfig"]["UiConfig"] = {
        "HumanTaskUiArn": human_task_ui_arn(live.dep.settings, ui)
    }
    live.client().create_labeling_job(**request)
    name = request["LabelingJobName"]
    wait_for(live, name, "InProgress")

    page.goto(f"{live.url}/login?next=/portal/jobs/{name}")
    page.fill("input[name=email]", people[0].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    handle = page.wait_for_selector("#frames iframe:not([hidden])", timeout=15_000)
    frame = handle.content_frame()
    assert frame is not None
    frame.wait_for_function("document.querySelector('#seen')?.value === 'script ran'")
    color = frame.evaluate("getComputedStyle(document.querySelector('#text')).color")
    assert color == "rgb(0, 128, 0)"
    frame.locator("body").focus()
    page.keyboard.press("Control+Enter")
    deadline = time.monotonic() + 10
    while not (stored := annotations(live, name)):
        assert time.monotonic() < deadline, "the answer did not reach the server"
        time.sleep(0.1)
    assert json.loads(stored[0]) == {"seen": "script ran"}


def test_an_a2i_flow_from_the_stored_ui_serves_its_files(live: Live, tmp_path: Path) -> None:
    assets = tmp_path / "elsewhere"
    assets.mkdir()
    (assets / "style.css").write_text(STYLE)
    ui, printed = store_template(live, tmp_path, "--assets", str(assets))
    # --assets replaces the template's folder: only style.css is there.
    assert "1 files: style.css" in printed
    team, emails = team_of(live, 1)
    flow = flow_request(live, team, TaskCount=1)
    flow["HumanLoopConfig"]["HumanTaskUiArn"] = human_task_ui_arn(live.dep.settings, ui)
    arn = live.client().create_flow_definition(**flow)["FlowDefinitionArn"]
    name = flow["FlowDefinitionName"]
    a2i(live).start_human_loop(
        HumanLoopName=unique("loop"),
        FlowDefinitionArn=arn,
        HumanLoopInput={"InputContent": json.dumps({"source": "check me"})},
    )
    with signed_in(live, emails) as (worker,):
        deadline = time.monotonic() + 20
        while (task := worker.next_task(name)) is None:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        frame = worker.http.get(f"/portal/tasks/{task['task_id']}/frame")
        assert frame.status_code == 200
        urls = re.findall(r'"(/template-assets/[^"]+)"', frame.text)
        assert [url.rsplit("/", 1)[-1] for url in urls] == ["style.css"]
        served = httpx.get(live.url + urls[0])
        assert served.status_code == 200 and served.text == STYLE
        assert "sandbox" in served.headers["content-security-policy"]
        token = urls[0].split("/")[2]
        for refused in ("../secret.css", "..%2Fsecret.css", "leak.css", "logic.js"):
            response = httpx.get(
                f"{live.url}/template-assets/{token}/{refused}", follow_redirects=True
            )
            assert response.status_code == 404, refused
            assert "outside the folder" not in response.text


def test_files_outside_the_template_are_refused(live: Live) -> None:
    template = '<link href="./style.css"><crowd-form></crowd-form>'
    for files, problem in (
        ({"../style.css": b""}, "not a file the template refers to"),
        ({"/etc/passwd": b""}, "not a file the template refers to"),
        ({"style.css": b"x" * (5 * 1024 * 1024 + 1)}, "larger than"),
    ):
        with pytest.raises(Invalid, match=problem):
            task_uis.create_task_ui(live.dep, unique("bad"), template, files)
