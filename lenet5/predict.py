"""Classify image files: turn any PNG/JPEG into a 28x28 image like the training set's, then take the top-k classes.

The datasets are light-on-dark and framed in a particular way, and a photo of a handwritten character is neither, so
:func:`prepare_image` reproduces each dataset's own preparation:

1. grayscale (alpha composited over white first, EXIF rotation applied);
2. polarity: the border's median is the background; if the content departs from it towards dark rather than light
   (ink on paper, grey paper included) the image is inverted to light-on-dark;
3. the background level plus a noise floor (from the border's spread) is subtracted, the contrast stretched to 0..255;
4. crop to the bounding box of the content, resize preserving the aspect ratio so the longer side fills the dataset's
   box, and place it in a 28x28 black frame:

   ============== ====== ============================================================================
   dataset        box    centring (from the dataset papers)
   ============== ====== ============================================================================
   MNIST          20 px  centre of mass at the frame centre (LeCun et al.)
   EMNIST         24 px  bounding box centred, 2 px border (Cohen et al. 2017, section II-A)
   Fashion-MNIST  28 px  bounding box centred, longer side fills the frame (Xiao et al. 2017)
   ============== ====== ============================================================================
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

FRAME = 28
CONTENT_THRESHOLD = 0.1  # of full scale: fainter pixels are noise, not content, when cropping


class ImageError(Exception):
    """An image file cannot be read or holds nothing to classify; the message is one line naming the file."""


@dataclass(frozen=True)
class Framing:
    box: int  # the longer side of the content after resizing, in pixels
    centre_of_mass: bool  # centre by centre of mass (MNIST) rather than by bounding box


def framing_for(dataset: str) -> Framing:
    if dataset == "mnist":
        return Framing(box=20, centre_of_mass=True)
    if dataset == "fashion-mnist":
        return Framing(box=28, centre_of_mass=False)
    return Framing(box=24, centre_of_mass=False)  # every EMNIST split


def read_grayscale(path: str | Path) -> np.ndarray:
    """Decode an image file to uint8 (H, W) grayscale, transparency flattened over white."""
    path = Path(path)
    try:
        with Image.open(path) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                rgba = image.convert("RGBA")
                image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
            return np.asarray(image.convert("L"), dtype=np.uint8)
    except FileNotFoundError as exc:
        raise ImageError(f"{path}: no such file") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageError(f"{path}: cannot read image ({exc.__class__.__name__}: {exc})") from exc


def prepare_image(gray: np.ndarray, framing: Framing) -> np.ndarray:
    """Grayscale uint8 (H, W) of any size -> uint8 (28, 28), light content on black, framed like the dataset.

    Raises ValueError if the image is blank (no pixel differs from the background).
    """
    pixels = gray.astype(np.float32)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    background = float(np.median(border))
    # Content is what departs most from the background; percentiles ignore a few stray pixels. Darker content
    # (ink on paper, even grey paper in a dim photo) is flipped to the datasets' light-on-dark.
    darker, lighter = background - np.percentile(pixels, 0.1), np.percentile(pixels, 99.9) - background
    if darker > lighter:
        pixels, background = 255.0 - pixels, 255.0 - background
    # Noise floor: 3 robust standard deviations (1.4826 MAD) of the border, so uneven light and sensor noise in a
    # photo become black; it is 0 for a clean background, even where content touches the edge.
    noise_floor = 3 * 1.4826 * float(np.median(np.abs(border - np.median(border))))
    pixels = np.clip(pixels - background - noise_floor, 0.0, None)
    if pixels.max() <= 0:
        raise ValueError("the image is blank (nothing differs from the background)")
    pixels *= 255.0 / pixels.max()

    rows = np.flatnonzero((pixels > 255 * CONTENT_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((pixels > 255 * CONTENT_THRESHOLD).any(axis=0))
    content = pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = content.shape
    scale = framing.box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # PIL sizes are (width, height)
    resized = np.asarray(
        Image.fromarray(content.astype(np.uint8)).resize(size, Image.Resampling.LANCZOS), dtype=np.float32
    )
    resized = np.clip(resized, 0, None)
    if resized.max() > 0:  # thin strokes fade when shrunk a lot; restore full contrast
        resized *= 255.0 / resized.max()

    frame = np.zeros((FRAME, FRAME), dtype=np.float32)
    top, left = (FRAME - resized.shape[0]) // 2, (FRAME - resized.shape[1]) // 2
    if framing.centre_of_mass:
        ys, xs = np.indices(resized.shape)
        total = resized.sum()
        top = round(FRAME / 2 - (ys * resized).sum() / total)
        left = round(FRAME / 2 - (xs * resized).sum() / total)
        top = int(np.clip(top, 0, FRAME - resized.shape[0]))
        left = int(np.clip(left, 0, FRAME - resized.shape[1]))
    frame[top : top + resized.shape[0], left : left + resized.shape[1]] = resized
    return np.clip(np.rint(frame), 0, 255).astype(np.uint8)


def load_image(path: str | Path, dataset: str = "emnist-balanced") -> np.ndarray:
    """Read ``path`` and prepare it for a model trained on ``dataset``: uint8 (28, 28)."""
    gray = read_grayscale(path)
    try:
        return prepare_image(gray, framing_for(dataset))
    except ValueError as exc:
        raise ImageError(f"{path}: {exc}") from exc


@dataclass(frozen=True)
class Prediction:
    source: str
    top: list[tuple[str, float]]  # (class name, probability), most likely first

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "predictions": [{"class": name, "probability": prob} for name, prob in self.top],
        }

    def format_text(self) -> str:
        guesses = ", ".join(f"{name} {prob:.1%}" for name, prob in self.top)
        return f"{self.source}: {guesses}"


def top_k(probabilities: np.ndarray, class_names: tuple[str, ...] | list[str], k: int) -> list[list[tuple[str, float]]]:
    """float (N, C) probabilities -> per image the ``k`` most likely (class name, probability), ties by class index."""
    k = min(k, probabilities.shape[1])
    order = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    return [[(class_names[c], float(row[c])) for c in ranks] for row, ranks in zip(probabilities, order, strict=True)]


def predict_files(model: Any, paths: list[str], dataset: str, class_names: list[str], k: int = 3) -> list[Prediction]:
    """Read, prepare and classify every file (all are read first, so a bad file fails before any output)."""
    from lenet5.evaluate import predict_probabilities

    images = np.stack([load_image(path, dataset) for path in paths])
    probabilities = predict_probabilities(model, images)
    return [Prediction(str(path), top) for path, top in zip(paths, top_k(probabilities, class_names, k), strict=True)]
