"""PNG figures of a training run: loss/accuracy curves, the confusion matrix and a grid of sample predictions.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas directly, not through ``pyplot``: no GUI
backend is ever selected, no global state changes, and nothing needs a display (CI, the docs build).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

DPI = 120


def _save(figure: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=DPI, format="png")
    logger.info("wrote %s", path)
    return path


def plot_history(history: Sequence[dict[str, Any]], path: str | Path, title: str = "") -> Path:
    """Training loss, and train/val/test accuracy per epoch, side by side."""
    epochs = [row["epoch"] for row in history]
    figure = Figure(figsize=(10, 4), layout="constrained")
    loss_axes, acc_axes = figure.subplots(1, 2)
    loss_axes.plot(epochs, [row["train_loss"] for row in history], marker="o", label="train loss")
    loss_axes.set(xlabel="epoch", ylabel="cross-entropy", title="training loss")
    for key, label in (("train_acc", "train"), ("val_acc", "validation"), ("test_acc", "test")):
        values = [row.get(key) for row in history]
        if any(v is not None for v in values):
            acc_axes.plot(epochs, [np.nan if v is None else 100 * v for v in values], marker="o", label=label)
    acc_axes.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for axes in (loss_axes, acc_axes):
        axes.grid(alpha=0.3)
        axes.legend()
        axes.xaxis.get_major_locator().set_params(integer=True)
    if title:
        figure.suptitle(title)
    return _save(figure, path)


def plot_confusion(confusion: np.ndarray, class_names: Sequence[str], path: str | Path, title: str = "") -> Path:
    """Confusion matrix, coloured by the fraction of each true class (row) given each prediction (column)."""
    num_classes = len(class_names)
    totals = confusion.sum(axis=1, keepdims=True)
    rates = confusion / np.maximum(totals, 1)
    side = max(5.0, 0.22 * num_classes + 2)
    figure = Figure(figsize=(side + 1.6, side), layout="constrained")
    axes = figure.subplots()
    image = axes.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    figure.colorbar(image, ax=axes, shrink=0.8, label="fraction of the true class")
    font = 8 if num_classes <= 20 else 7
    rotation = 0 if max(len(name) for name in class_names) <= 2 else (90 if num_classes > 20 else 45)
    axes.set_xticks(range(num_classes), labels=list(class_names), fontsize=font, rotation=rotation)
    axes.set_yticks(range(num_classes), labels=list(class_names), fontsize=font)
    axes.set(xlabel="predicted class", ylabel="true class")
    if num_classes <= 20:  # counts are legible only on small matrices
        for (row, col), count in np.ndenumerate(confusion):
            if count:
                colour = "white" if rates[row, col] > 0.5 else "black"
                axes.text(col, row, str(count), ha="center", va="center", fontsize=6, color=colour)
    axes.set_title(title or "confusion matrix")
    return _save(figure, path)


def plot_samples(
    images: np.ndarray,
    labels: np.ndarray,
    predictions: np.ndarray,
    confidences: np.ndarray,
    class_names: Sequence[str],
    path: str | Path,
    title: str = "",
    columns: int = 8,
) -> Path:
    """A grid of uint8 (N, 28, 28) images titled "predicted (confidence)"; wrong predictions in red with the truth."""
    count = len(images)
    rows = max(1, int(np.ceil(count / columns)))
    figure = Figure(figsize=(1.4 * columns, 1.6 * rows), layout="constrained")
    grid = np.atleast_2d(figure.subplots(rows, columns))
    for index, axes in enumerate(grid.flat):
        axes.set_axis_off()
        if index >= count:
            continue
        axes.imshow(images[index], cmap="gray", vmin=0, vmax=255)
        predicted, truth = class_names[predictions[index]], class_names[labels[index]]
        right = predictions[index] == labels[index]
        text = f"{predicted} ({confidences[index]:.0%})" + ("" if right else f"\ntrue: {truth}")
        axes.set_title(text, fontsize=7, color="black" if right else "red")
    if title:
        figure.suptitle(title)
    return _save(figure, path)


def plot_run(
    weights_dir: str | Path,
    data_dir: str | Path | None,
    out_dir: str | Path | None = None,
    prefix: str = "",
    limit: int | None = None,
    samples: int = 32,
) -> list[Path]:
    """The three figures of a trained model directory: ``history.png``, ``confusion.png``, ``samples.png``.

    The confusion matrix and samples use the test split of the run's dataset (``data_dir`` defaults to the run's).
    """
    from lenet5.checkpoint import load_trained_model
    from lenet5.data import load_dataset
    from lenet5.evaluate import evaluate, predict_probabilities

    model, metadata = load_trained_model(weights_dir)
    out = Path(out_dir) if out_dir is not None else Path(weights_dir)
    name = metadata["dataset"]
    test_set = load_dataset(name, data_dir if data_dir is not None else metadata["config"]["data_dir"], "test")
    scores = evaluate(model, test_set, limit=limit)
    shown = np.arange(min(samples, len(test_set.labels)))
    probabilities = predict_probabilities(model, test_set.images, shown)
    label = f"LeNet-5 ({metadata['model']['variant']}) on {name}"
    return [
        plot_history(metadata["history"], out / f"{prefix}history.png", title=label),
        plot_confusion(
            scores.confusion,
            scores.class_names,
            out / f"{prefix}confusion.png",
            title=f"{label}\ntest accuracy {scores.accuracy:.2%} ({scores.num_samples:,} images)",
        ),
        plot_samples(
            test_set.images[shown],
            test_set.labels[shown],
            probabilities.argmax(axis=1),
            probabilities.max(axis=1),
            scores.class_names,
            out / f"{prefix}samples.png",
            title=f"{label}: first {len(shown)} test images",
        ),
    ]
