"""Accuracy, per-class accuracy and the confusion matrix of a trained model.

Images stay uint8 until a batch is needed: :func:`predict_probabilities` converts ``batch_size`` images at a time with
:func:`lenet5.model.preprocess`, so evaluating 18,800 EMNIST test images costs a few megabytes, not a float32 copy of
the whole set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from lenet5.model import preprocess

logger = logging.getLogger(__name__)

EVAL_BATCH_SIZE = 256


def predict_probabilities(
    model: Any, images: np.ndarray, indices: np.ndarray | None = None, batch_size: int = EVAL_BATCH_SIZE
) -> np.ndarray:
    """Class probabilities, eval mode: uint8 ``images`` (N, 28, 28) (rows ``indices`` if given) -> float32 (n, C)."""
    rows = np.arange(len(images)) if indices is None else np.asarray(indices)
    chunks = [
        model.predict_proba(preprocess(images[rows[start : start + batch_size]]), batch_size=batch_size)
        for start in range(0, len(rows), batch_size)
    ]
    if not chunks:
        return np.zeros((0, model.config()["num_classes"]), dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)


def predict_classes(
    model: Any, images: np.ndarray, indices: np.ndarray | None = None, batch_size: int = EVAL_BATCH_SIZE
) -> np.ndarray:
    """Predicted class per image, eval mode: uint8 (N, 28, 28) -> int64 (n,)."""
    rows = np.arange(len(images)) if indices is None else np.asarray(indices)
    predictions = np.empty(len(rows), dtype=np.int64)
    for start in range(0, len(rows), batch_size):
        logits = model.forward(preprocess(images[rows[start : start + batch_size]]), train=False)
        predictions[start : start + batch_size] = np.argmax(logits, axis=1)
    return predictions


def accuracy(model: Any, images: np.ndarray, labels: np.ndarray, indices: np.ndarray | None = None) -> float:
    """Fraction of ``images[indices]`` classified as ``labels[indices]``."""
    rows = np.arange(len(labels)) if indices is None else np.asarray(indices)
    if len(rows) == 0:
        raise ValueError("cannot compute the accuracy of an empty set of images")
    return float(np.mean(predict_classes(model, images, rows) == labels[rows]))


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """int64 (C, C): row = true class, column = predicted class."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


@dataclass(frozen=True)
class Evaluation:
    """Scores of a model on ``num_samples`` images; ``per_class_accuracy`` is NaN for classes with no image."""

    dataset: str
    split: str
    num_samples: int
    accuracy: float
    per_class_accuracy: np.ndarray  # float64 (C,)
    confusion: np.ndarray  # int64 (C, C), rows = true class
    class_names: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "split": self.split,
            "num_samples": self.num_samples,
            "accuracy": self.accuracy,
            "per_class_accuracy": {
                name: (None if np.isnan(acc) else float(acc))
                for name, acc in zip(self.class_names, self.per_class_accuracy, strict=True)
            },
            "class_names": list(self.class_names),
            "confusion_matrix": self.confusion.tolist(),
        }

    def format_text(self) -> str:
        lines = [
            f"{self.dataset} {self.split}: accuracy {self.accuracy:.2%} on {self.num_samples:,} images",
            "per class:",
        ]
        for name, acc, count in zip(self.class_names, self.per_class_accuracy, self.confusion.sum(axis=1), strict=True):
            shown = "   n/a" if np.isnan(acc) else f"{acc:6.1%}"
            lines.append(f"  {name:>12}  {shown}  ({count:,} images)")
        worst = _most_confused(self.confusion, self.class_names)
        if worst:
            lines.append("most confused (true -> predicted: count): " + ", ".join(worst))
        return "\n".join(lines)


def _most_confused(confusion: np.ndarray, class_names: tuple[str, ...], top: int = 5) -> list[str]:
    off_diagonal = confusion.copy()
    np.fill_diagonal(off_diagonal, 0)
    order = np.argsort(off_diagonal, axis=None)[::-1][:top]
    pairs = [np.unravel_index(i, confusion.shape) for i in order]
    return [f"{class_names[t]} -> {class_names[p]}: {off_diagonal[t, p]}" for t, p in pairs if off_diagonal[t, p] > 0]


def evaluate(model: Any, dataset: Any, limit: int | None = None, batch_size: int = EVAL_BATCH_SIZE) -> Evaluation:
    """Score ``model`` on the first ``limit`` images of a :class:`lenet5.data.Dataset` (all of them by default)."""
    count = len(dataset.labels) if limit is None else min(limit, len(dataset.labels))
    if count == 0:
        raise ValueError(f"{dataset.name} {dataset.split} set is empty")
    rows = np.arange(count)
    predictions = predict_classes(model, dataset.images, rows, batch_size)
    labels = dataset.labels[:count]
    confusion = confusion_matrix(labels, predictions, dataset.num_classes)
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(totals > 0, np.diag(confusion) / np.maximum(totals, 1), np.nan)
    return Evaluation(
        dataset=dataset.name,
        split=dataset.split,
        num_samples=count,
        accuracy=float(np.mean(predictions == labels)),
        per_class_accuracy=per_class,
        confusion=confusion,
        class_names=tuple(dataset.class_names),
    )
