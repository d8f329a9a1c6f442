"""`truthset demo`: synthetic mammography views, a team, and a running job. Idempotent.

The images are generated (nothing is downloaded): a breast outline against the chest wall on
the side of its laterality, a pectoral muscle wedge for MLO views, a lead marker in the corner
as on real films, and a few non-mammograms (chest X-ray-like images). With the `dicom` extra,
a second job shows mammograms as DICOM files (demo_dicom.py).
"""

from __future__ import annotations

import contextlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from truthset import demo_dicom, dispatch, jobs, manifests, workforce
from truthset.deployment import Deployment
from truthset.errors import Conflict, NotFound
from truthset.identity import passwords

VIEWS = ["Right-CC", "Left-CC", "Right-MLO", "Left-MLO", "Not a mammography"]
JOB = "mammography-views"
TEAM = "radiologists"
ADMIN = "admin@truthset.local"
WORKER = "doctor@truthset.local"
# Two simulated colleagues answer every image first, so the demo worker's answer is the
# third and completes the object: the output manifest fills as you label.
COLLEAGUES = ["colleague-a@truthset.local", "colleague-b@truthset.local"]
PER_VIEW = 8


@dataclass(frozen=True)
class DemoLogins:
    url: str
    admin: tuple[str, str]
    worker: tuple[str, str]
    jobs: tuple[str, ...] = (JOB,)


def draw_view(view: str, rng: random.Random, size: tuple[int, int] = (320, 400)) -> Image.Image:
    width, height = size
    noise = np.random.default_rng(rng.randrange(1 << 30))
    if view == "Not a mammography":
        return _draw_chest(size, noise)
    right = view.startswith("Right")
    image = Image.new("L", size, 0)
    draw = ImageDraw.Draw(image)
    depth = int(width * rng.uniform(0.62, 0.8))
    top, bottom = int(height * rng.uniform(0.08, 0.18)), int(height * rng.uniform(0.82, 0.94))
    box = (-depth, top, depth, bottom) if right else (width - depth, top, width + depth, bottom)
    draw.ellipse(box, fill=150)
    for _ in range(rng.randint(5, 10)):
        cx = rng.randint(10, depth - 10) if right else width - rng.randint(10, depth - 10)
        cy, r = rng.randint(top + 20, bottom - 20), rng.randint(12, 40)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=rng.randint(170, 215))
    if view.endswith("MLO"):
        wedge = int(width * rng.uniform(0.3, 0.45))
        corner = (
            [(0, 0), (wedge, 0), (0, int(height * 0.55))]
            if right
            else [(width, 0), (width - wedge, 0), (width, int(height * 0.55))]
        )
        draw.polygon(corner, fill=225)
    image = image.filter(ImageFilter.GaussianBlur(3))
    pixels = np.asarray(image, dtype=np.float32) + noise.normal(0, 9, (height, width))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    marker = ("R" if right else "L") + (" CC" if view.endswith("CC") else " MLO")
    ImageDraw.Draw(image).text((width - 60, 12) if right else (12, 12), marker, fill=255)
    return image.convert("RGB")


def _draw_chest(size: tuple[int, int], noise: np.random.Generator) -> Image.Image:
    width, height = size
    image = Image.new("L", size, 20)
    draw = ImageDraw.Draw(image)
    for side in (0.28, 0.72):
        cx = int(width * side)
        draw.ellipse((cx - 70, 60, cx + 70, height - 50), fill=70)
        for rib in range(8):
            y = 80 + rib * 32
            draw.arc((cx - 90, y - 20, cx + 90, y + 40), 200, 340, fill=180, width=6)
    draw.rectangle((width // 2 - 12, 30, width // 2 + 12, height - 20), fill=200)
    pixels = np.asarray(image.filter(ImageFilter.GaussianBlur(2)), dtype=np.float32)
    pixels += noise.normal(0, 8, (height, width))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).convert("RGB")


def write_images(folder: Path, seed: int = 7) -> list[tuple[Path, str]]:
    """Writes the demo images once (deterministic); returns (path, true view) pairs."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(PER_VIEW * len(VIEWS)):
        view = VIEWS[index % len(VIEWS)]
        path = folder / f"view-{index:03d}.png"
        image = draw_view(view, rng)
        if not path.exists():
            image.save(path)
        written.append((path, view))
    return written


def _logins(dep: Deployment) -> dict[str, str]:
    path = dep.settings.data_dir / "demo-logins.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    logins = {email: passwords.generate_password() for email in (ADMIN, WORKER, *COLLEAGUES)}
    path.touch(mode=0o600)
    path.write_text(json.dumps(logins, indent=2))
    return logins


def _ensure_people(dep: Deployment, logins: dict[str, str]) -> None:
    with contextlib.suppress(Conflict):
        workforce.create_admin(dep, ADMIN, logins[ADMIN])
    try:
        workforce.get_team(dep, TEAM)
    except NotFound:
        workforce.create_team(dep, TEAM, "Breast imaging team (demo)")
    for email in (WORKER, *COLLEAGUES):
        try:
            workforce.get_user(dep, email)
        except NotFound:
            workforce.create_workers(dep, [email], TEAM, logins[email])


def _simulate_colleagues(
    dep: Deployment, truth: dict[int, str], job: str = JOB, views: list[str] = VIEWS
) -> None:
    rng = random.Random(11)
    for email in COLLEAGUES:
        user = workforce.get_user(dep, email)
        while (task := dispatch.next_task(dep, user, job)) is not None:
            view = truth[task.object_id]
            label = view if rng.random() < 0.85 else rng.choice(views)
            dispatch.submit_answer(
                dep, user, task.task_id, {"crowd-image-classifier": {"label": label}}
            )


def setup(dep: Deployment) -> DemoLogins:
    """Creates what the demo needs, once; running it again changes nothing."""
    folder = dep.settings.data_dir.resolve() / "demo"
    logins = _logins(dep)
    _ensure_people(dep, logins)
    try:
        jobs.describe_job(dep, JOB)
    except NotFound:
        images = write_images(folder / "images")
        manifest = str(folder / "images.manifest")
        manifests.create_manifest(dep.storage, str(folder / "images"), manifest)
        request = jobs.JobRequest(
            name=JOB,
            manifest=manifest,
            output=str(folder / "output"),
            task_type="image-classification",
            team=TEAM,
            labels=VIEWS,
            workers_per_object=3,
            title="Which mammography view is this?",
            description="Pick the view: laterality (Right/Left) and projection (CC/MLO).",
            instructions="<p><b>CC</b> (cranio-caudal) views show no pectoral muscle; <b>MLO</b> views "
            "show the pectoral muscle as a bright wedge in the upper corner at the chest wall.</p>"
            "<p>The lead marker in the corner names the side. Choose <i>Not a mammography</i> for "
            "anything else.</p>",
        )
        jobs.create_job(dep, request)
        _simulate_colleagues(dep, {i: view for i, (_path, view) in enumerate(images)})
    truth = demo_dicom.setup_job(dep, TEAM)
    if truth is not None:
        _simulate_colleagues(dep, truth, demo_dicom.JOB, demo_dicom.VIEWS)
    names = (JOB, demo_dicom.JOB) if demo_dicom.dicom_available() else (JOB,)
    return DemoLogins(
        dep.settings.base_url, (ADMIN, logins[ADMIN]), (WORKER, logins[WORKER]), names
    )
