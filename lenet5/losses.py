"""Softmax cross-entropy, the loss LeNet-5 trains with here (the paper used RBF outputs and a MAP criterion)."""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise ``log(softmax(logits))`` of ``logits`` (N, C), computed stably."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``logits`` (N, C)."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``logits`` (N, C) against integer ``labels`` (N,) and its gradient (N, C).

    Matches ``torch.nn.functional.cross_entropy(logits, labels)`` (mean reduction); the gradient
    ``(softmax(logits) - onehot(labels)) / N`` has the dtype of ``logits``.
    """
    logits = np.asarray(logits)
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError(f"expected logits (N, C) and labels (N,), got {logits.shape} and {labels.shape}")
    n, c = logits.shape
    if n == 0:
        raise ValueError("softmax_cross_entropy needs at least one sample")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers, got dtype {labels.dtype}")
    if labels.min() < 0 or labels.max() >= c:
        raise ValueError(f"labels must lie in 0..{c - 1}, got {labels.min()}..{labels.max()}")
    rows = np.arange(n)
    log_probs = log_softmax(logits)
    # Summed in float64: the mean of a large batch would otherwise lose digits the training curves show.
    loss = float(-log_probs[rows, labels].sum(dtype=np.float64) / n)
    dlogits = np.exp(log_probs)
    dlogits[rows, labels] -= 1
    dlogits /= n
    return loss, dlogits.astype(logits.dtype, copy=False)
