"""The embedding extractors of the ``autolabel`` extra (skipped when it is not installed)."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_sample_images

from truthset.autolabel import (
    EfficientNetFeatures,
    MiniLMFeatures,
    embeddings_available,
    image_extractor,
    text_extractor,
)

# CI installs the extra and sets TRUTHSET_TEST_AUTOLABEL=1: there these tests must run, never skip.
REQUIRED = os.environ.get("TRUTHSET_TEST_AUTOLABEL") == "1"
if REQUIRED and not (embeddings_available("image") and embeddings_available("text")):
    raise RuntimeError("TRUTHSET_TEST_AUTOLABEL=1 but truthset[autolabel] is not installed")
needs_image_extra = pytest.mark.skipif(
    not embeddings_available("image"), reason="needs truthset[autolabel] (torch, EfficientNet)"
)
needs_text_extra = pytest.mark.skipif(
    not embeddings_available("text"), reason="needs truthset[autolabel] (torch, MiniLM)"
)


def jpeg(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@needs_image_extra
def test_efficientnet_embeddings_place_the_same_scene_together():
    china, flower = load_sample_images().images
    flower_crop = flower[20:-20, 30:-30]
    extractor = image_extractor()
    assert isinstance(extractor, EfficientNetFeatures)
    assert extractor.name == "efficientnet-lite0-224+pixels16-grad4x4x8"
    vectors = extractor.extract([jpeg(flower), jpeg(flower_crop), jpeg(china)])
    assert vectors.shape == (3, 1670) and vectors.dtype == np.float32
    embedding = vectors[:, :1280] / np.linalg.norm(vectors[:, :1280], axis=1, keepdims=True)
    assert embedding[0] @ embedding[1] > embedding[0] @ embedding[2] + 0.1
    again = EfficientNetFeatures(batch_size=1).extract([jpeg(flower)])
    np.testing.assert_allclose(again[0], vectors[0], rtol=1e-4, atol=1e-4)


@needs_text_extra
def test_minilm_embeddings_place_paraphrases_together():
    extractor = text_extractor()
    assert isinstance(extractor, MiniLMFeatures)
    vectors = extractor.extract(
        ["a photo of a cat", "a picture of a kitten", "quarterly tax report"]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
    assert vectors[0] @ vectors[1] > 0.6 > 0.2 > vectors[0] @ vectors[2]
