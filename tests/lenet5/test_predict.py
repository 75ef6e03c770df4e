"""Image preparation for ``lenet5 predict``: any size, either polarity, framed like the training set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from lenet5.predict import FRAME, ImageError, framing_for, load_image, prepare_image, top_k


def _draw_seven(size: tuple[int, int], ink: int, paper: int, width: int) -> Image.Image:
    """A '7'-like stroke figure, taller than wide, off-centre, on a ``size`` (W, H) canvas."""
    w, h = size
    image = Image.new("L", size, paper)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = int(0.15 * w), int(0.1 * h), int(0.55 * w), int(0.8 * h)
    draw.line([(left, top), (right, top), (left + (right - left) // 3, bottom)], fill=ink, width=width)
    return image


def _content_box(image: np.ndarray, level: int = 40) -> tuple[int, int, int, int]:
    rows = np.flatnonzero((image > level).any(axis=1))
    cols = np.flatnonzero((image > level).any(axis=0))
    return rows[0], rows[-1], cols[0], cols[-1]


@pytest.mark.parametrize(
    ("size", "width", "suffix"),
    [((200, 300), 18, ".png"), ((17, 40), 3, ".png"), ((1200, 900), 60, ".jpg"), ((28, 28), 3, ".png")],
)
def test_dark_on_light_becomes_framed_light_on_dark(
    tmp_path: Path, size: tuple[int, int], width: int, suffix: str
) -> None:
    path = tmp_path / f"seven{suffix}"
    _draw_seven(size, ink=20, paper=235, width=width).save(path)
    image = load_image(path, "emnist-balanced")
    assert image.shape == (FRAME, FRAME) and image.dtype == np.uint8
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    assert border.max() <= 10  # background black after inversion
    assert image.max() == 255  # contrast stretched
    top, bottom, left, right = _content_box(image)
    assert max(bottom - top, right - left) + 1 in (23, 24, 25)  # longer side fills EMNIST's 24 px box
    assert abs((top + bottom) / 2 - 13.5) <= 1.5 and abs((left + right) / 2 - 13.5) <= 1.5  # centred


def test_polarity_does_not_matter(tmp_path: Path) -> None:
    _draw_seven((300, 300), ink=0, paper=255, width=25).save(tmp_path / "dark.png")
    _draw_seven((300, 300), ink=255, paper=0, width=25).save(tmp_path / "light.png")
    dark, light = load_image(tmp_path / "dark.png"), load_image(tmp_path / "light.png")
    assert np.abs(dark.astype(int) - light.astype(int)).max() <= 2


def test_dim_photo_of_grey_paper_is_inverted(tmp_path: Path) -> None:
    """Paper at 110 (below mid-grey), ink at 30, an uneven light and sensor noise: still dark ink on paper."""
    rng = np.random.default_rng(0)
    seven = np.asarray(_draw_seven((400, 300), ink=30, paper=110, width=22), dtype=np.float32)
    light = np.linspace(-15, 15, 400)[None, :]  # brighter to the right
    photo = np.clip(seven + light + rng.normal(0, 4, seven.shape), 0, 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.jpg", quality=90)
    image = load_image(tmp_path / "photo.jpg")
    assert np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]).max() <= 40  # dark background
    _draw_seven((400, 300), ink=0, paper=255, width=22).save(tmp_path / "clean.png")
    clean = load_image(tmp_path / "clean.png")
    assert np.corrcoef(image.ravel(), clean.ravel())[0, 1] > 0.9  # the same figure, framed the same way


def test_transparent_background_counts_as_paper(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (120, 120), (0, 0, 0, 0))  # transparent black: invisible, not ink
    ImageDraw.Draw(rgba).ellipse((30, 20, 90, 100), outline=(0, 0, 0, 255), width=10)
    rgba.save(tmp_path / "zero.png")
    image = load_image(tmp_path / "zero.png")
    assert image[0].max() <= 10 and image[14, 14] <= 10  # background and the hole of the 0 are black
    assert image.max() == 255


def test_mnist_framing_centres_the_mass_in_a_20px_box() -> None:
    canvas = np.full((100, 60), 255, dtype=np.uint8)
    canvas[10:90, 5:25] = 0  # a tall dark bar
    image = prepare_image(canvas, framing_for("mnist"))
    top, bottom, _, _ = _content_box(image)
    assert bottom - top + 1 in (19, 20, 21)
    ys, xs = np.indices(image.shape)
    mass = image.astype(float)
    assert abs((ys * mass).sum() / mass.sum() - 14) <= 1 and abs((xs * mass).sum() / mass.sum() - 14) <= 1


def test_fashion_framing_fills_the_frame() -> None:
    canvas = np.zeros((50, 100), dtype=np.uint8)
    canvas[20:40, 10:90] = 200  # a wide light object on black (already the dataset's polarity)
    image = prepare_image(canvas, framing_for("fashion-mnist"))
    top, bottom, left, right = _content_box(image)
    assert (left, right) == (0, 27)
    assert abs((top + bottom) / 2 - 13.5) <= 1


def test_real_fashion_image_survives_a_round_trip(tmp_path: Path, fashion_mnist_dir: Path) -> None:
    """A test image, enlarged 7x and printed dark-on-light, comes back close to the original."""
    from lenet5.data import load_dataset

    originals = load_dataset("fashion-mnist", fashion_mnist_dir, "test").images[:20]
    correlations = []
    for index, original in enumerate(originals):
        photo = Image.fromarray(255 - original).resize((196, 196), Image.Resampling.BICUBIC)
        photo.save(tmp_path / f"{index}.png")
        restored = load_image(tmp_path / f"{index}.png", "fashion-mnist")
        correlations.append(np.corrcoef(original.ravel(), restored.ravel())[0, 1])
    assert np.median(correlations) > 0.9


def test_blank_image_is_an_error_naming_the_file(tmp_path: Path) -> None:
    Image.new("L", (40, 40), 255).save(tmp_path / "blank.png")
    with pytest.raises(ImageError, match=r"blank\.png: the image is blank"):
        load_image(tmp_path / "blank.png")


def test_unreadable_files_are_errors_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "notes.png").write_text("this is not an image\n")
    with pytest.raises(ImageError, match=r"notes\.png: cannot read image"):
        load_image(tmp_path / "notes.png")
    with pytest.raises(ImageError, match=r"absent\.png: no such file"):
        load_image(tmp_path / "absent.png")
    _draw_seven((64, 64), 0, 255, 6).save(tmp_path / "whole.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "whole.png").read_bytes()[:60])
    with pytest.raises(ImageError, match=r"cut\.png"):
        load_image(tmp_path / "cut.png")


def test_top_k_orders_by_probability() -> None:
    probabilities = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])
    assert top_k(probabilities, ["a", "b", "c"], 2) == [[("b", 0.6), ("c", 0.3)], [("a", 0.5), ("c", 0.3)]]
    assert len(top_k(probabilities, ["a", "b", "c"], 10)[0]) == 3  # k larger than the class count
