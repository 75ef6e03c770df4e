"""The figures `lenet5 plot` publishes: valid PNGs whose content follows the data (not just "a file was written")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from lenet5.plots import plot_confusion, plot_history, plot_samples

HISTORY = [
    {"epoch": epoch, "train_loss": 1.0 / epoch, "train_acc": 0.6 + 0.03 * epoch, "val_acc": None,
     "test_acc": 0.55 + 0.03 * epoch}
    for epoch in range(1, 6)
]


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def test_history_plot_is_a_png_with_two_panels(tmp_path: Path) -> None:
    path = plot_history(HISTORY, tmp_path / "nested" / "history.png", title="run")
    image = pixels(path)
    height, width, _ = image.shape
    assert width > 1.5 * height  # loss and accuracy side by side
    # Two data series in different colours: more than a blank canvas with axes.
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 20


def test_history_plot_changes_with_the_data(tmp_path: Path) -> None:
    flat = [{**row, "train_loss": 0.5, "test_acc": 0.7} for row in HISTORY]
    first = pixels(plot_history(HISTORY, tmp_path / "a.png"))
    second = pixels(plot_history(flat, tmp_path / "b.png"))
    assert first.shape == second.shape
    assert np.abs(first - second).sum() > 0


def test_confusion_plot_colours_the_diagonal_of_a_perfect_classifier(tmp_path: Path) -> None:
    names = ["zero", "one", "two"]
    perfect = np.diag([50, 40, 30])
    confused = np.full((3, 3), 40)
    dark = pixels(plot_confusion(perfect, names, tmp_path / "perfect.png")).sum()
    spread = pixels(plot_confusion(confused, names, tmp_path / "confused.png")).sum()
    # Every cell of the uniform matrix is a third-full blue; the perfect one has three dark and six white cells.
    assert dark != spread


def test_sample_grid_marks_wrong_predictions_in_red(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8)
    labels = np.array([0, 1, 2, 3])
    names = ["a", "b", "c", "d"]
    right = pixels(plot_samples(images, labels, labels, np.full(4, 0.9), names, tmp_path / "right.png", columns=4))
    wrong = pixels(plot_samples(images, labels, (labels + 1) % 4, np.full(4, 0.9), names, tmp_path / "wrong.png",
                                columns=4))
    red = (wrong[..., 0] > 200) & (wrong[..., 1] < 80) & (wrong[..., 2] < 80)
    assert red.sum() > 0
    assert ((right[..., 0] > 200) & (right[..., 1] < 80) & (right[..., 2] < 80)).sum() == 0
