"""Every image task type end to end in Chromium, through the real portal: a worker draws, paints,
places, verifies or adjusts with mouse and keyboard and submits; the stored answer and the
consolidated output line are checked. A second worker answers through the domain functions, so
consolidation has two workers to combine."""

from __future__ import annotations

import base64
import io
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter
from playwright.sync_api import FrameLocator, Page, expect
from sqlalchemy import select

from tests.browser.conftest import Live
from tests.crowd.test_image_viewport_support import street_scene
from tests.support.factories import PASSWORD, make_admin, make_team, write_manifest
from truthset import dispatch, jobs
from truthset.db.tables import Annotation, Job
from truthset.workforce import UserInfo

LABELS = ["car", "pedestrian", "bicycle", "traffic light"]
SIZE = (1200, 800)


def wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def street_manifest(live: Live, name: str, suffix: str = ".png") -> Path:
    root = live.dep.settings.data_dir.resolve()
    image = root / f"{name}-images" / f"street{suffix}"
    image.parent.mkdir(parents=True, exist_ok=True)
    # Softened, so that the blocky synthetic scene looks more like a photo in screenshots.
    scene = street_scene(*SIZE).filter(ImageFilter.GaussianBlur(3))
    scene.save(image, quality=92) if suffix == ".jpg" else scene.save(image)
    return write_manifest(root / f"{name}.manifest", [{"source-ref": str(image)}])


def create(live: Live, name: str, manifest: Path, task_type: str, **fields: Any) -> jobs.JobInfo:
    values: dict[str, Any] = {
        "name": name,
        "manifest": str(manifest),
        "output": str(live.dep.settings.data_dir.resolve() / "output"),
        "task_type": task_type,
        "team": "radiologists",
        "labels": LABELS,
        "workers_per_object": 2,
        "title": "Street scene",
        "description": "Pick a label with its number key, then annotate every instance.",
        **fields,
    }
    return jobs.create_job(live.dep, jobs.JobRequest(**values))


def open_work(page: Page, live: Live, worker: UserInfo, job: str) -> FrameLocator:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live.url + "/login")
    page.get_by_label("E-mail").fill(worker.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your labeling jobs")).to_be_visible()
    page.goto(f"{live.url}/portal/jobs/{job}")
    return page.frame_locator("iframe:not([hidden])")


class FrameScreen:
    """Original-pixel coordinates of the tool in the task frame, as page coordinates."""

    def __init__(self, page: Page, frame: FrameLocator, tag: str) -> None:
        self.page = page
        tool = frame.locator(tag)
        expect(tool).to_be_visible()
        tool.evaluate(
            "el => customElements.whenDefined(el.localName).then(() => el.ready).then(() => true)"
        )
        info = tool.evaluate(
            """el => ({rect: el.viewport.imageRect(), width: el.photo.width,
                       client: el.getBoundingClientRect().toJSON()})"""
        )
        box = tool.bounding_box()
        assert box is not None
        self.left = box["x"] - info["client"]["x"] + info["rect"]["left"]
        self.top = box["y"] - info["client"]["y"] + info["rect"]["top"]
        self.scale = info["rect"]["width"] / info["width"]

    def point(self, x: float, y: float) -> tuple[float, float]:
        return self.left + x * self.scale, self.top + y * self.scale

    def drag(self, *points: tuple[float, float]) -> None:
        mouse = self.page.mouse
        mouse.move(*self.point(*points[0]))
        mouse.down()
        for point in points[1:]:
            mouse.move(*self.point(*point), steps=8)
        mouse.up()

    def click(self, x: float, y: float) -> None:
        self.page.mouse.click(*self.point(x, y))

    @property
    def slack(self) -> float:
        """How far, in original pixels, a mouse position may land from the intended point."""
        return 1 / self.scale + 1


def stored_answers(live: Live, job: str) -> list[dict[str, Any]]:
    with live.dep.db.read() as conn:
        rows = conn.execute(
            select(Annotation.content)
            .join(Job, Job.id == Annotation.job_id)
            .where(Job.name == job)
            .order_by(Annotation.id)
        ).scalars()
        return [json.loads(row) for row in rows]


def second_answer(live: Live, worker: UserInfo, job: str, content: dict[str, Any]) -> None:
    task = dispatch.next_task(live.dep, worker, job)
    assert task is not None
    dispatch.submit_answer(live.dep, worker, task.task_id, content)


def output_line(live: Live, job: str) -> dict[str, Any]:
    wait_for(lambda: jobs.describe_job(live.dep, job).status == "Completed")
    (line,) = Path(jobs.describe_job(live.dep, job).output_manifest).read_text().splitlines()
    return json.loads(line)  # type: ignore[no-any-return]


def finish(page: Page) -> None:
    expect(page.get_by_role("heading", name="No more work for you in this job")).to_be_visible()


def near(value: float, wanted: float, slack: float) -> bool:
    return abs(value - wanted) <= slack


def test_bounding_boxes(page: Page, live: Live, shots: Path) -> None:
    first, second = make_team(live.dep, workers=2)
    create(live, "boxes", street_manifest(live, "boxes", ".jpg"), "bounding-box")
    frame = open_work(page, live, first, "boxes")
    screen = FrameScreen(page, frame, "crowd-bounding-box")
    screen.drag((100, 500), (400, 700))  # a car, label 1
    page.keyboard.press("Escape")
    page.keyboard.press("2")
    screen.drag((700, 450), (780, 700))  # a pedestrian
    page.keyboard.press("Escape")
    page.keyboard.press("3")
    screen.drag((900, 100), (1000, 200))  # a stray box: selected and deleted
    screen.click(950, 150)
    page.keyboard.press("Delete")
    page.keyboard.press("Escape")
    screen.drag((820, 560), (1100, 690))  # a bicycle
    page.screenshot(path=str(shots / "portal-bounding-box.png"))
    page.keyboard.press("Enter")
    finish(page)

    (stored,) = stored_answers(live, "boxes")
    boxes = stored["boundingBox"]["boundingBoxes"]
    assert stored["boundingBox"]["inputImageProperties"] == {"width": 1200, "height": 800}
    wanted = [
        ("car", 100, 500, 300, 200),
        ("pedestrian", 700, 450, 80, 250),
        ("bicycle", 820, 560, 280, 130),
    ]
    assert [b["label"] for b in boxes] == [w[0] for w in wanted]
    for box, (_, left, top, width, height) in zip(boxes, wanted, strict=True):
        assert near(box["left"], left, screen.slack) and near(box["top"], top, screen.slack)
        assert near(box["width"], width, 2 * screen.slack)
        assert near(box["height"], height, 2 * screen.slack)

    second_answer(live, second, "boxes", stored)
    line = output_line(live, "boxes")
    expected = sorted(
        (
            {
                "class_id": LABELS.index(b["label"]),
                "left": b["left"],
                "top": b["top"],
                "width": b["width"],
                "height": b["height"],
            }
            for b in boxes
        ),
        key=lambda b: (b["top"], b["left"]),
    )
    assert line["boxes"] == {
        "image_size": [{"width": 1200, "height": 800, "depth": 3}],
        "annotations": expected,
    }
    assert line["boxes-metadata"]["objects"] == [{"confidence": 1.0}] * 3
    assert line["boxes-metadata"]["class-map"] == {"0": "car", "1": "pedestrian", "2": "bicycle"}


def decode_rgba(content: dict[str, Any]) -> np.ndarray:
    data = base64.b64decode(content["labeledImage"]["pngImageData"])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def test_semantic_segmentation(page: Page, live: Live, shots: Path) -> None:
    first, second = make_team(live.dep, workers=2)
    create(live, "paint", street_manifest(live, "paint"), "semantic-segmentation")
    frame = open_work(page, live, first, "paint")
    screen = FrameScreen(page, frame, "crowd-semantic-segmentation")
    page.keyboard.press("]")  # a bigger brush
    screen.drag((150, 600), (350, 600), (350, 650), (150, 650))  # car, label 1
    page.keyboard.press("2")
    page.keyboard.press("p")  # polygon fill: a pedestrian
    for x, y in ((700, 450), (780, 450), (780, 700), (700, 700)):
        screen.click(x, y)
    page.keyboard.press("Enter")
    page.keyboard.press("e")  # erase a bit of the car
    screen.drag((340, 560), (340, 690))
    page.screenshot(path=str(shots / "portal-semantic-segmentation.png"))
    frame.get_by_role("button", name="Submit").click()
    finish(page)

    (stored,) = stored_answers(live, "paint")
    value = stored["crowd-semantic-segmentation"]
    assert value["labelMappings"] == {
        "car": {"color": "#1f77b4"},
        "pedestrian": {"color": "#ff7f0e"},
    }
    rgba = decode_rgba(value)
    assert rgba.shape == (800, 1200, 4)
    assert tuple(rgba[625, 250]) == (0x1F, 0x77, 0xB4, 255)  # painted car
    assert tuple(rgba[575, 740]) == (0xFF, 0x7F, 0x0E, 255)  # filled pedestrian
    assert rgba[625, 340, 3] == 0 and rgba[100, 100, 3] == 0  # erased; never painted

    second_answer(live, second, "paint", stored)
    line = output_line(live, "paint")
    mask = np.asarray(Image.open(line["paint-ref"]))
    painted = np.zeros(mask.shape, np.uint8)
    painted[(rgba[..., 3] == 255) & (rgba[..., 0] == 0x1F)] = 1
    painted[(rgba[..., 3] == 255) & (rgba[..., 0] == 0xFF)] = 2
    assert (mask == painted).all()
    assert line["paint-ref-metadata"]["internal-color-map"]["1"] == {
        "class-name": "car",
        "confidence": 1.0,
        "hex-color": "#1f77b4",
    }


def test_keypoints(page: Page, live: Live, shots: Path) -> None:
    first, second = make_team(live.dep, workers=2)
    create(live, "points", street_manifest(live, "points"), "keypoint")
    frame = open_work(page, live, first, "points")
    screen = FrameScreen(page, frame, "crowd-keypoint")
    page.keyboard.press("4")
    screen.click(300, 200)
    screen.click(900, 210)
    page.keyboard.press("Escape")
    page.keyboard.press("2")
    screen.click(740, 470)
    page.screenshot(path=str(shots / "portal-keypoint.png"))
    page.keyboard.press("Enter")
    finish(page)

    (stored,) = stored_answers(live, "points")
    points = stored["annotatedResult"]["keypoints"]
    wanted = [("traffic light", 300, 200), ("traffic light", 900, 210), ("pedestrian", 740, 470)]
    assert [p["label"] for p in points] == [w[0] for w in wanted]
    for point, (_, x, y) in zip(points, wanted, strict=True):
        assert near(point["x"], x, screen.slack) and near(point["y"], y, screen.slack)

    moved = [{**p, "x": p["x"] + 2} for p in points]
    second_answer(
        live,
        second,
        "points",
        {"annotatedResult": {**stored["annotatedResult"], "keypoints": moved}},
    )
    line = output_line(live, "points")
    annotations = line["points"]["annotations"]
    assert [a["class_id"] for a in annotations] == [1, 3, 3]
    assert annotations[0] == {"class_id": 1, "x": points[2]["x"] + 1, "y": points[2]["y"]}
    assert all(0.9 < o["confidence"] < 1.0 for o in line["points-metadata"]["objects"])
    assert line["points-metadata"]["type"] == "truthset/keypoint"


def test_polygons(page: Page, live: Live, shots: Path) -> None:
    first, second = make_team(live.dep, workers=2)
    create(live, "shapes", street_manifest(live, "shapes"), "polygon")
    frame = open_work(page, live, first, "shapes")
    screen = FrameScreen(page, frame, "crowd-polygon")
    vertices = [(120, 520), (420, 520), (450, 700), (100, 700)]
    page.keyboard.press("3")  # bicycle
    for x, y in vertices:
        screen.click(x, y)
    page.keyboard.press("Enter")  # closes the polygon; does not submit
    page.screenshot(path=str(shots / "portal-polygon.png"))
    frame.get_by_role("button", name="Submit").click()
    finish(page)

    (stored,) = stored_answers(live, "shapes")
    (polygon,) = stored["annotatedResult"]["polygons"]
    assert polygon["label"] == "bicycle"
    for vertex, (x, y) in zip(polygon["vertices"], vertices, strict=True):
        assert near(vertex["x"], x, screen.slack) and near(vertex["y"], y, screen.slack)

    second_answer(live, second, "shapes", stored)
    line = output_line(live, "shapes")
    assert line["shapes"]["annotations"] == [{"class_id": 2, "vertices": polygon["vertices"]}]
    assert line["shapes-metadata"]["objects"] == [{"confidence": 1.0}]


def boxes_output(live: Live, worker: UserInfo) -> Path:
    """An earlier bounding box job's output manifest, labeled by one worker."""
    create(live, "street", street_manifest(live, "street"), "bounding-box", workers_per_object=1)
    answer = {
        "boundingBox": {
            "boundingBoxes": [
                {"label": "car", "left": 90, "top": 520, "width": 330, "height": 170},
                {"label": "pedestrian", "left": 690, "top": 440, "width": 100, "height": 270},
            ],
            "inputImageProperties": {"width": 1200, "height": 800},
        }
    }
    second_answer(live, worker, "street", answer)
    output_line(live, "street")
    return Path(jobs.describe_job(live.dep, "street").output_manifest)


def create_in_console(page: Page, live: Live, earlier: Path) -> None:
    """An admin creates the verification job in the console, naming the label to audit."""
    admin = make_admin(live.dep)
    page.goto(live.url + "/login")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live.url + "/console/jobs/new")
    page.get_by_label("Job name").fill("verify")
    page.get_by_label("Task type").select_option("bounding-box-verification")
    page.get_by_label("Input manifest").fill(str(earlier))
    page.get_by_label("Output folder").fill(str(live.dep.settings.data_dir.resolve() / "output"))
    page.get_by_label("Label to audit").fill("street")
    page.get_by_label("Labels, comma-separated").fill("Correct, Needs fixing")
    page.get_by_label("Title shown to workers").fill("Are the boxes right?")
    page.get_by_label("Short instructions").fill(
        "Check every box: tight around the object, right label, nothing missed."
    )
    page.get_by_label("Workers per object").fill("2")
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_role("heading", name="verify")).to_be_visible()
    wait_for(lambda: jobs.describe_job(live.dep, "verify").status == "InProgress")
    assert jobs.describe_job(live.dep, "verify").options == {"audit_label_attribute_name": "street"}
    page.get_by_role("button", name="Sign out").click()


def test_verification_with_a_comment(page: Page, live: Live, shots: Path) -> None:
    first, second = make_team(live.dep, workers=2)
    earlier = boxes_output(live, second)
    create_in_console(page, live, earlier)
    frame = open_work(page, live, first, "verify")
    expect(frame.locator("[part~=overlay-box]")).to_have_count(2)
    page.keyboard.press("2")
    frame.get_by_role("button", name="Add a comment").click()
    frame.get_by_role("textbox").fill("The bicycle on the right is not labeled.")
    page.screenshot(path=str(shots / "portal-label-verification.png"))
    page.keyboard.press("Control+Enter")
    finish(page)

    (stored,) = stored_answers(live, "verify")
    assert stored == {
        "crowd-image-classifier": {
            "label": "Needs fixing",
            "workerComment": "The bicycle on the right is not labeled.",
        }
    }
    second_answer(live, second, "verify", {"crowd-image-classifier": {"label": "Needs fixing"}})
    line = output_line(live, "verify")
    assert line["verify"] == 1
    meta = line["verify-metadata"]
    assert meta["class-name"] == "Needs fixing" and meta["type"] == "groundtruth/label-verification"
    assert meta["worker-feedback"] == [{"comment": "The bicycle on the right is not labeled."}]


def test_adjustment_of_boxes(page: Page, live: Live, shots: Path) -> None:
    first, second = make_team(live.dep, workers=2)
    earlier = boxes_output(live, second)
    create(
        live,
        "adjust",
        earlier,
        "bounding-box-adjustment",
        title="Fix the boxes",
        options={"audit_label_attribute_name": "street"},
    )
    frame = open_work(page, live, first, "adjust")
    screen = FrameScreen(page, frame, "crowd-bounding-box")
    screen.click(740, 600)  # select the pedestrian box, then pull its right edge in
    screen.drag((790, 575), (770, 575))
    page.screenshot(path=str(shots / "portal-bounding-box-adjustment.png"))
    page.keyboard.press("Enter")
    finish(page)

    (stored,) = stored_answers(live, "adjust")
    value = stored["boundingBox"]
    assert value["initialValueModified"] is True
    car, pedestrian = sorted(value["boundingBoxes"], key=lambda box: box["left"])
    assert car == {"label": "car", "left": 90, "top": 520, "width": 330, "height": 170}
    assert pedestrian["left"] == 690 and near(pedestrian["width"], 80, screen.slack)

    unchanged = {"boundingBox": {**value, "initialValueModified": False}}
    second_answer(live, second, "adjust", unchanged)
    line = output_line(live, "adjust")
    assert line["adjust-metadata"]["adjustment-status"] == "adjusted"
    assert line["adjust-metadata"]["type"] == "groundtruth/object-detection"
    assert len(line["adjust"]["annotations"]) == 2


def mask_output(live: Live, worker: UserInfo) -> Path:
    """An earlier segmentation job's output manifest, labeled by one worker."""
    create(
        live, "city", street_manifest(live, "city"), "semantic-segmentation", workers_per_object=1
    )
    rgba = np.zeros((800, 1200, 4), np.uint8)
    rgba[520:700, 90:420] = [0x1F, 0x77, 0xB4, 255]
    rgba[440:710, 690:790] = [0xFF, 0x7F, 0x0E, 255]
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    answer = {
        "crowd-semantic-segmentation": {
            "inputImageProperties": {"width": 1200, "height": 800},
            "labelMappings": {"car": {"color": "#1f77b4"}, "pedestrian": {"color": "#ff7f0e"}},
            "labeledImage": {"pngImageData": base64.b64encode(buffer.getvalue()).decode()},
        }
    }
    second_answer(live, worker, "city", answer)
    output_line(live, "city")
    return Path(jobs.describe_job(live.dep, "city").output_manifest)


def test_verification_of_a_mask(page: Page, live: Live, shots: Path) -> None:
    first, second = make_team(live.dep, workers=2)
    earlier = mask_output(live, second)
    create(
        live,
        "verify-city",
        earlier,
        "semantic-segmentation-verification",
        labels=["Correct", "Needs fixing"],
        title="Is the segmentation right?",
        options={"audit_label_attribute_name": "city-ref"},
    )
    frame = open_work(page, live, first, "verify-city")
    expect(frame.locator("[part~=overlay-mask]")).to_be_visible()
    expect(frame.get_by_text("pedestrian")).to_be_visible()
    page.keyboard.press("1")
    page.screenshot(path=str(shots / "portal-mask-verification.png"))
    page.keyboard.press("Enter")
    finish(page)
    assert stored_answers(live, "verify-city") == [{"crowd-image-classifier": {"label": "Correct"}}]
    second_answer(live, second, "verify-city", {"crowd-image-classifier": {"label": "Correct"}})
    assert output_line(live, "verify-city")["verify-city-metadata"]["class-name"] == "Correct"


def test_adjustment_of_a_mask(page: Page, live: Live, shots: Path) -> None:
    first, second = make_team(live.dep, workers=2)
    earlier = mask_output(live, second)
    create(
        live,
        "fix-city",
        earlier,
        "semantic-segmentation-adjustment",
        title="Fix the segmentation",
        label_attribute_name="fixed-ref",
        options={"audit_label_attribute_name": "city-ref"},
    )
    frame = open_work(page, live, first, "fix-city")
    screen = FrameScreen(page, frame, "crowd-semantic-segmentation")
    page.keyboard.press("3")
    screen.drag((850, 600), (1050, 600))  # a bicycle the earlier label missed
    page.screenshot(path=str(shots / "portal-semantic-segmentation-adjustment.png"))
    page.keyboard.press("Enter")
    finish(page)

    (stored,) = stored_answers(live, "fix-city")
    value = stored["crowd-semantic-segmentation"]
    assert value["initialValueModified"] is True
    rgba = decode_rgba(value)
    assert tuple(rgba[600, 300]) == (0x1F, 0x77, 0xB4, 255)  # the earlier car is kept
    assert tuple(rgba[600, 950]) == (0x2C, 0xA0, 0x2C, 255)  # the new bicycle
    second_answer(live, second, "fix-city", stored)
    line = output_line(live, "fix-city")
    assert line["fixed-ref-metadata"]["adjustment-status"] == "adjusted"
    assert np.asarray(Image.open(line["fixed-ref"]))[600, 950] == 3
