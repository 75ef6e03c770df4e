"""2x2 / stride-2 average pooling (LeNet-5's subsampling layers without their trainable coefficient and bias)."""

from __future__ import annotations

import numpy as np

from lenet5.layers.base import Layer
from lenet5.layers.maxpool import check_poolable, window_views


class AvgPool2x2(Layer):
    """Mean over non-overlapping 2x2 windows: ``x`` (C, H, W, N) -> (C, H/2, W/2, N) (or the pooled layout of
    :func:`lenet5.layers.maxpool.window_views`)."""

    def __init__(self) -> None:
        super().__init__()
        self._x_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_poolable(x)
        a, b, cc, d = window_views(x)
        y = self.buffer("y", a.shape, x.dtype)
        # Summed in PyTorch's scan order, then scaled (x * 0.25 == x / 4 exactly).
        np.add(a, b, out=y)
        y += cc
        y += d
        y *= 0.25
        self._x_shape = x.shape
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._x_shape is None:
            raise RuntimeError("AvgPool2x2: backward called before forward")
        dx = self.buffer("dx", self._x_shape, dy.dtype)
        quarter = self.buffer("quarter", dy.shape, dy.dtype)
        np.multiply(dy, 0.25, out=quarter)
        for target in window_views(dx):
            np.copyto(target, quarter)
        return dx


def avgpool2x2_reference(x: np.ndarray, dy: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Plain-loop average pooling of ``x`` (C, H, W, N) and, when ``dy`` is given, its gradient."""
    c, h, w, n = x.shape
    y = np.zeros((c, h // 2, w // 2, n), dtype=x.dtype)
    dx = np.zeros_like(x) if dy is not None else None
    for ci in range(c):
        for ni in range(n):
            for r in range(h // 2):
                for s in range(w // 2):
                    total = 0.0
                    for i in range(2):
                        for j in range(2):
                            total += x[ci, 2 * r + i, 2 * s + j, ni]
                            if dx is not None and dy is not None:
                                dx[ci, 2 * r + i, 2 * s + j, ni] = dy[ci, r, s, ni] / 4
                    y[ci, r, s, ni] = total / 4
    return y, dx
