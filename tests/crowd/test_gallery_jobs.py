"""Every template of AWS's public sample gallery (amazon-sagemaker-ground-truth-task-uis) as a
custom job: a task.input that fits the template, a worker in Chromium who answers and submits
with the keyboard, and the output line with the answer as Ground Truth's PassThrough label.

The gallery is read at test time from ../shared/datasets/gt-task-uis beside the checkout (or
TRUTHSET_GT_TASK_UIS). Templates that use Crowd HTML Elements this build does not define are
expected failures, found by comparing the template's tags with the elements defined in
web/static/crowd/, so they turn into passes by themselves once the elements exist. Scripts a
template loads from CDNs are served to the browser from Debian's packages when there is one
(offline test); the origins are allowed by the job's allowed_origins. The outcome of every
template is written to test-output/gallery-results.json and the count printed at the end.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Frame, Page, Route

from tests.support.factories import PASSWORD
from tests.support.live import free_port, serve
from truthset import jobs, workforce
from truthset.app import create_app
from truthset.deployment import Deployment, open_deployment
from truthset.settings import Settings

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
GALLERY = Path(
    os.environ.get("TRUTHSET_GT_TASK_UIS")
    or next(
        (
            str(p)
            for p in (
                ROOT.parent / "shared/datasets/gt-task-uis",
                Path("/work/shared/datasets/gt-task-uis"),
            )
            if p.is_dir()
        ),
        str(ROOT.parent / "shared/datasets/gt-task-uis"),
    )
)
TEMPLATES = sorted(GALLERY.rglob("*.html")) if GALLERY.is_dir() else []
STATIC = ROOT / "src/truthset/web/static/crowd"
RESULTS = ROOT / "test-output" / "gallery-results.json"
# Offline copies of what gallery templates load from CDNs (Debian's libjs-* packages).
LOCAL_SCRIPTS = {"code.jquery.com": Path("/usr/share/javascript/jquery/jquery.min.js")}
TEXT = "The quick brown fox jumps over the lazy dog."
LISTS = {"labels", "categories", "choices", "responses", "modelResponses"}


def defined_elements() -> set[str]:
    found: set[str] = set()
    for script in STATIC.glob("*.js"):
        found.update(
            re.findall(r"customElements\.define\(\s*[\"'](crowd-[a-z-]+)[\"']", script.read_text())
        )
    return found


def missing_elements(template: str) -> list[str]:
    used = set(re.findall(r"<(crowd-[a-z][a-z-]*)", template))
    return sorted(used - defined_elements())


# Elements that lay out or decorate a form: their names are no part of the answer.
LAYOUT = {
    "crowd-form",
    "crowd-button",
    "crowd-alert",
    "crowd-instructions",
    "crowd-card",
    "crowd-badge",
    "crowd-modal",
    "crowd-tabs",
    "crowd-tab",
    "crowd-tooltip",
    "crowd-fab",
    "crowd-icon-button",
    "crowd-toast",
}


def answer_names(template: str) -> set[str]:
    """The names the answer must have: one per answering Crowd HTML Element of the template."""
    found = re.findall(r"<(crowd-[a-z-]+)\b[^>]*?\bname\s*=\s*[\"']([^\"'{}]+)[\"']", template)
    return {name for tag, name in found if tag not in LAYOUT}


def external_origins(template: str) -> list[str]:
    urls = re.findall(r"""(?:src|href)\s*=\s*["'](https?://[^"']+)""", template)
    origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in urls}
    return sorted(o for o in origins if "assets.crowd.aws" not in o)


def unavailable_scripts(template: str) -> list[str]:
    scripts = re.findall(r"""<script[^>]*src\s*=\s*["'](https?://[^"']+)""", template)
    return [
        url
        for url in scripts
        if "assets.crowd.aws" not in url
        and not LOCAL_SCRIPTS.get(urlsplit(url).netloc, Path("/nonexistent")).exists()
    ]


def media_files(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    image = folder / "photo.png"
    Image.new("RGB", (320, 240), (40, 120, 200)).save(image)
    sound = folder / "sound.wav"
    with wave.open(str(sound), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(8000)
        handle.writeframes(b"\x00\x00" * 8000)
    return {"image": image, "audio": sound}


def png_base64() -> str:
    buffer = io.BytesIO()
    Image.new("RGBA", (320, 240), (0, 0, 0, 0)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _leaf(path: list[str], template: str, media: dict[str, Path], audio: bool) -> Any:
    name = path[-1]
    dotted = "task.input." + ".".join(path)
    if name == "pngString":
        return png_base64()
    if re.search(re.escape(dotted) + r"\s*\|\s*grant_read_access", template):
        return str(media["audio" if audio or "audio" in name.lower() else "image"])
    if name.lower().endswith(("link", "url")):
        return "https://survey.example.org/form"
    if name == "highlightParts":
        return "[]"
    return TEXT


def task_input_for(template: str, media: dict[str, Path], audio: bool) -> dict[str, Any]:
    """A task.input with a plausible value for every field the template reads."""
    value: dict[str, Any] = {}
    loops = dict(re.findall(r"\{%-?\s*for\s+(\w+)\s+in\s+task\.input\.(\w+)", template))
    for variable, field in loops.items():
        keys = sorted(set(re.findall(rf"\b{variable}\.(\w+)", template)))
        value[field] = [{k: f"{TEXT} ({i}, {k})" for k in keys} or TEXT for i in range(2)]
    for dotted in re.findall(r"task\.input\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)", template):
        path = dotted.split(".")
        if path[0] in value and len(path) == 1:
            continue
        if path[0] in LISTS:
            entity = "crowd-entity-annotation" in template
            value[path[0]] = [
                {"label": x} if entity else x for x in ("first choice", "second choice")
            ]
            continue
        node = value
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node.setdefault(path[-1], _leaf(path, template, media, audio))
    value.setdefault("source", TEXT)
    return value


# Answers what a generic worker can answer: every empty native field, the first choice of each
# classifier and group of radio buttons. Returns how many things it filled in.
ANSWER = """() => {
  const TYPED = { url: "https://example.org", email: "a@example.org", date: "2024-01-15", time: "12:30",
    "datetime-local": "2024-01-15T12:30", month: "2024-01", week: "2024-W03", color: "#336699", tel: "5551234" };
  let filled = 0;
  const visit = (root) => root.querySelectorAll("*").forEach((el) => {
    if (el.shadowRoot && /^crowd-(image-)?classifier/.test(el.localName)) {
      const choice = el.shadowRoot.querySelector(".choice-list button, [role=radio], [role=checkbox]");
      if (choice && !(el.crowdValue && (el.crowdValue.label || (el.crowdValue.labels || []).length))) { choice.click(); filled++; }
    }
  });
  visit(document);
  // A ranking: response i takes rank i + 1 on every dimension (distinct, so ties are not needed).
  const rankings = (root) => root.querySelectorAll("*").forEach((el) => {
    if (el.localName === "crowd-text-ranking" && el.shadowRoot) {
      el.shadowRoot.querySelectorAll("button.rank").forEach((b) => {
        if (Number(b.dataset.rank) === Number(b.dataset.response) + 1) { b.click(); filled++; }
      });
    }
  });
  rankings(document);
  // Crowd elements keep their own inputs in shadow roots (crowd-input, crowd-slider, ...).
  const fields = [];
  const collect = (root) => root.querySelectorAll("*").forEach((el) => {
    if (/^(input|textarea|select)$/i.test(el.tagName)) fields.push(el);
    if (el.shadowRoot) collect(el.shadowRoot);
  });
  collect(document);
  const radios = new Set();
  for (const el of fields) {
    if (el.disabled || el.readOnly || el.hidden || el.type === "hidden" || el.type === "submit" || el.type === "button") continue;
    if (el.type === "radio") { if (!radios.has(el.name)) { radios.add(el.name); el.click(); filled++; } continue; }
    if (el.type === "checkbox") { if (el.required && !el.checked) { el.click(); filled++; } continue; }
    if (el.tagName === "SELECT") { const o = [...el.options].find((x) => x.value); if (o) { el.value = o.value; filled++; } }
    // A range always has a value; a worker still has to move it.
    else if (el.type === "range") { el.value = el.max || "1"; filled++; }
    else if (!el.value) { el.value = (el.type in TYPED && el.type !== "url" && el.type !== "email" && el.min) || TYPED[el.type] || (el.type === "number" ? (el.min || "1") : "my answer"); filled++; }
    el.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
    el.dispatchEvent(new Event("change", { bubbles: true, composed: true }));
  }
  return filled;
}"""
PROBLEM = """() => {
  const out = [];
  const visit = (root) => root.querySelectorAll("*").forEach((el) => {
    if (el.localName === "crowd-button" && el.problemText) out.push(el.problemText);
    if (el.localName === "crowd-alert" && !el.hidden && el.textContent.trim()) out.push(el.textContent.trim());
    if (el.shadowRoot) visit(el.shadowRoot);
  });
  visit(document);
  return out.join("; ");
}"""


@pytest.fixture(scope="module")
def gallery_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[str, Deployment]]:
    folder = tmp_path_factory.mktemp("gallery")
    shutil.copy(sqlite_template, folder / "truthset.db")
    port = free_port()
    settings = Settings(
        data_dir=folder / "data",
        database_url=f"sqlite:///{folder / 'truthset.db'}",
        secret_key="gallery-test-key",  # type: ignore[arg-type]
        public_base_url=f"http://127.0.0.1:{port}",
        background_interval=0.1,
        output_interval=0,
        fast_password_hashing=True,
    )
    dep = open_deployment(settings, migrate=False)
    workforce.create_team(dep, "gallery", "everyone")
    workforce.create_workers(dep, ["worker@gallery.example"], "gallery", PASSWORD)
    with serve(create_app(deployment=dep), port) as url:
        yield url, dep
    dep.db.dispose()


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    found: dict[str, str] = {}
    yield found
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(found, indent=1, sort_keys=True))
    done = sum(1 for v in found.values() if v == "completed")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"gallery: {done} of {len(TEMPLATES)} templates completed end to end (details: {RESULTS})"
        )


def _job_name(path: Path) -> str:
    slug = re.sub(
        r"[^a-z0-9]+", "-", str(path.relative_to(GALLERY)).lower().removesuffix(".html")
    ).strip("-")
    return ("g-" + slug)[:63].rstrip("-")


def _params() -> list[Any]:
    params = []
    for path in TEMPLATES:
        template = path.read_text()
        reasons = []
        if scripts := unavailable_scripts(template):
            reasons.append(f"loads {', '.join(scripts)}, not available offline")
        marks = [pytest.mark.xfail(reason="; ".join(reasons), strict=False)] if reasons else []
        params.append(pytest.param(path, id=str(path.relative_to(GALLERY)), marks=marks))
    return params


def _serve_cdn(route: Route, media: dict[str, Path]) -> None:
    url = urlsplit(route.request.url)
    local = LOCAL_SCRIPTS.get(url.netloc)
    if local is not None and local.exists():
        route.fulfill(path=str(local), content_type="application/javascript; charset=utf-8")
    elif url.path.lower().endswith((".jpg", ".jpeg", ".png")):
        route.fulfill(path=str(media["image"]), content_type="image/png")
    else:
        route.abort()


def _task_frame(page: Page) -> Frame:
    handle = page.wait_for_selector("#frames iframe:not([hidden])", timeout=15_000)
    frame = handle.content_frame()
    assert frame is not None
    # Until it has loaded the task, the frame is about:blank under the portal page's policy.
    deadline = time.monotonic() + 15
    while "/portal/tasks/" not in frame.url:
        assert time.monotonic() < deadline, frame.url
        page.wait_for_timeout(50)
    frame.wait_for_load_state()
    frame.wait_for_function("customElements.get('crowd-form') !== undefined", timeout=15_000)
    frame.wait_for_timeout(300)  # let the template's own scripts run
    return frame


def _draw(page: Page, frame: Frame) -> None:
    """A box, a point or a stroke on the first image tool, as a worker draws with the mouse."""
    for tag in (
        "crowd-bounding-box",
        "crowd-polygon",
        "crowd-keypoint",
        "crowd-semantic-segmentation",
    ):
        tool = frame.query_selector(tag)
        box = tool.bounding_box() if tool else None
        if box is None:
            continue
        x, y = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.45
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 40, y + 30, steps=5)
        page.mouse.up()
        if tag == "crowd-polygon":
            page.keyboard.press("Escape")
        return


def _stored(dep: Deployment, name: str) -> int:
    with dep.db.read() as conn:
        from sqlalchemy import func, select

        from truthset.db.tables import Annotation, Job

        job_id = conn.scalar(select(Job.id).where(Job.name_key == name.lower()))
        return int(conn.scalar(select(func.count()).where(Annotation.job_id == job_id)) or 0)


@pytest.mark.skipif(not TEMPLATES, reason=f"the gallery is not at {GALLERY}")
@pytest.mark.parametrize("path", _params())
def test_gallery_template_runs_as_a_custom_job(
    path: Path, gallery_server: tuple[str, Deployment], page: Page, outcomes: dict[str, str]
) -> None:
    url, dep = gallery_server
    key = str(path.relative_to(GALLERY))
    outcomes[key] = "not rendered"
    template = path.read_text()
    media = media_files(dep.settings.data_dir / "media")
    line = task_input_for(template, media, audio=path.parent.name == "audio")
    name = _job_name(path)
    manifest = dep.settings.data_dir / f"{name}.manifest"
    manifest.write_text(json.dumps(line) + "\n")
    request = jobs.JobRequest(
        name=name,
        manifest=str(manifest),
        output=str(dep.settings.data_dir / "out"),
        task_type="custom",
        team="gallery",
        workers_per_object=1,
        ui_template=template,
        options={"allowed_origins": external_origins(template)},
    )
    jobs.create_job(dep, request)
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: _serve_cdn(route, media))
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))
    page.goto(f"{url}/login?next=/portal/jobs/{name}")
    page.fill("input[name=email]", "worker@gallery.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    frame = _task_frame(page)
    outcomes[key] = "not submitted"
    frame.evaluate(ANSWER)
    _draw(page, frame)
    # The keyboard, as a worker submits; the portal then takes the frame away at once.
    frame.locator("body").focus()
    page.keyboard.press("Control+Enter")
    deadline = time.monotonic() + 10
    while not _stored(dep, name):
        if time.monotonic() > deadline:
            outcomes[key] = (
                f"not submitted: {frame.evaluate(PROBLEM) or 'no answer reached the server'}"
                + (f" (console: {'; '.join(console)[:500]})" if console else "")
            )
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(RESULTS.parent / f"gallery-{name}.png"))
            pytest.fail(outcomes[key])
        time.sleep(0.1)
    outcomes[key] = "not in the output"
    deadline = time.monotonic() + 20
    while (job := jobs.describe_job(dep, name)).status != "Completed":
        assert time.monotonic() < deadline, job.status
        time.sleep(0.1)
    (out,) = [json.loads(x) for x in Path(job.output_manifest).read_text().splitlines()]
    label = out.pop(name)
    assert out.pop(f"{name}-metadata")["type"] == "groundtruth/custom"
    assert out == line  # the input line, unchanged
    (worker_answer,) = label["annotationsFromAllWorkers"]
    answer = json.loads(worker_answer["annotationData"]["content"])
    # Something was answered (unless the template asks nothing), by every element that
    # answers: an undefined element sends nothing.
    outcomes[key] = f"answer lacks {sorted(answer_names(template) - set(answer))}"
    assert answer or not re.search(r"\bname\s*=", template), answer
    assert answer_names(template) <= set(answer), answer
    outcomes[key] = "completed"
