"""The sample gallery of Ground Truth worker templates (aws-samples/amazon-sagemaker-ground-truth-
task-uis, 87 templates), read where the workplace keeps it, never copied into the repository, and
a `task.input` that fits each template, made from the names the template reads."""

from __future__ import annotations

import base64
import io
import json
import math
import os
import re
import struct
import wave
from pathlib import Path
from typing import Any

from PIL import Image

GALLERY_ENV = "TRUTHSET_GT_TASK_UIS"


def gallery_root() -> Path | None:
    """The gallery folder: $TRUTHSET_GT_TASK_UIS, else shared/datasets/gt-task-uis beside the
    checkout or one of its parents (CI puts shared/ beside the clone)."""
    if os.environ.get(GALLERY_ENV):
        path = Path(os.environ[GALLERY_ENV])
        return path if path.is_dir() else None
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "datasets" / "gt-task-uis"
        if candidate.is_dir():
            return candidate
    return None


def gallery_templates(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.html") if p.is_file())


def _png(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), "#9cc3e6")
    for x in range(width // 4, width // 2):
        for y in range(height // 3, height // 2):
            image.putpixel((x, y), (200, 60, 40))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
            for i in range(int(seconds * rate))
        )
        out.writeframes(frames)
    return buffer.getvalue()


PNG = _png(160, 120)
IMAGE_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()
AUDIO_URL = "data:audio/wav;base64," + base64.b64encode(_wav()).decode()

# Fields whose shape the template relies on (everything else is a string, or a list of strings
# when a {% for %} walks it).
SPECIAL: dict[str, Any] = {
    "labels": ["Cat", "Dog", "Bird"],
    "responses": ["The first response.", "A second, longer response.", "A third one."],
    "highlightParts": json.dumps(["lazy dog"]),
    "pngString": base64.b64encode(PNG).decode(),
    "response": "The quick brown fox jumps over the lazy dog.",
    "translationPairs": [{"originalText": "Bonjour", "translation": "Hello"}],
    "Pairs": [{"text1": "A cat sat.", "text2": "A cat was sitting."}],
    "modelResponses": [{"modelName": "model-a", "text": "First answer."}],
}

# Templates that read a field as something other than text.
OVERRIDES: dict[str, dict[str, Any]] = {
    "other/time-series-using-d3js.liquid.html": {
        "taskObject": json.dumps(
            [{"date": f"2024-01-0{d}", "value": v} for d, v in [(1, 3), (2, 5), (3, 4)]]
        )
    },
}

_REFERENCE = re.compile(r"task\.input((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_MEDIA = ("taskObject", "image", "audioFile", "src", "Url", "url")


def _leaf(name: str, folder: str) -> Any:
    if name in SPECIAL:
        return SPECIAL[name]
    if name.startswith(_MEDIA) or name.endswith(("image", "Image")) or name[:-1] == "image":
        return AUDIO_URL if folder == "audio" or name.startswith("audioFile") else IMAGE_URL
    return f"Sample {name}"


def task_input_for(template: str, name: str) -> dict[str, Any]:
    """A task.input with every field the template reads, nested as its paths say; `name` is the
    template's path in the gallery ("audio/audio-classification.liquid.html")."""
    folder = name.split("/")[0]
    task_input: dict[str, Any] = dict(OVERRIDES.get(name, {}))
    for match in _REFERENCE.finditer(template):
        path = match.group(1).strip(".").split(".")
        node = task_input
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        leaf = path[-1]
        if leaf not in node:
            node[leaf] = _leaf(leaf, folder)
    return task_input
