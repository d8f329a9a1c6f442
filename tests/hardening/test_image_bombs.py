"""Decompression bombs: small PNGs of huge dimensions are refused from their header, never
decoded (a 97 KB mask once made the background runner take 2.6 GB)."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys

from fastapi.testclient import TestClient
from PIL import Image

from tests.hardening.test_manifest_lines import _create
from tests.support.factories import write_images
from tests.web.test_api_flow import login, step
from truthset.consolidation.masks import MAX_MASK_PIXELS
from truthset.deployment import Deployment

SIDE = 20_000  # 400 megapixels: 2 GB as RGBA, a few hundred KB as a 1-bit PNG


def _bomb(side: int = SIDE) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def test_a_mask_of_huge_dimensions_is_refused_at_submit(
    client: TestClient, dep: Deployment
) -> None:
    image = write_images(dep.settings.data_dir.resolve() / "img", 1)[0]
    response = _create(
        client, dep, [json.dumps({"source-ref": str(image)})], task_type="semantic-segmentation"
    )
    assert response.status_code == 201, response.text
    step(dep)
    worker = login(client, "worker0@radiologists.example.org")
    task = client.post("/api/v1/worker/jobs/views/next-task", headers=worker)
    assert task.status_code == 200, task.text
    png = _bomb()
    assert len(png) < dep.settings.max_answer_body
    answer = {
        "crowd-semantic-segmentation": {
            "inputImageProperties": {"width": SIDE, "height": SIDE},
            "labelMappings": {"a": {"color": "#1f77b4"}},
            "labeledImage": {"pngImageData": base64.b64encode(png).decode()},
        }
    }
    done = client.post(
        f"/api/v1/worker/tasks/{task.json()['task_id']}/answer",
        json={"answer": answer},
        headers=worker,
    )
    assert done.status_code == 400, done.text
    error = done.json()["error"]
    assert error["type"] == "invalid" and f"{MAX_MASK_PIXELS:,} pixels" in error["message"]


_DECODE = """
import base64, sys
from truthset.autolabel.images import FeatureError, decode_image
from truthset.consolidation.masks import MaskError, decode_mask_png
data = base64.b64decode(sys.stdin.read())
for decode in (lambda: decode_mask_png(data, ["#ffffff", "#1f77b4"]), lambda: decode_image(data)):
    try:
        decode()
    except (MaskError, FeatureError) as error:
        print(type(error).__name__, error)
# The peak of this process since exec (ru_maxrss would also count the parent's, kept over exec).
status = open("/proc/self/status").read()
print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
"""


def test_decoders_refuse_a_bomb_with_bounded_memory() -> None:
    """What the runner does with a stored mask or an object's image (automated labeling):
    refused from the header, in a process whose memory stays far below the decoded size."""
    # 121 megapixels: over our limit but under twice Pillow's, where Pillow would refuse itself.
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", _DECODE],
        input=base64.b64encode(_bomb(11_000)).decode(),
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("MaskError") and "more than" in lines[0]
    assert lines[1].startswith("FeatureError") and "more than" in lines[1]
    peak_kb = int(lines[2])
    assert peak_kb < 300 * 1024, f"peak {peak_kb} KB"  # decoding would take 600 MB and more
