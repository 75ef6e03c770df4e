"""Batch-innermost images to feature columns in PyTorch's ``flatten(1)`` feature order."""

from __future__ import annotations

import numpy as np

from lenet5.layers.base import Layer


class Flatten(Layer):
    """``x`` (C, H, W, N) -> (C*H*W, N): features ordered (c, h, w) like ``torch.flatten(x_nchw, 1)``, one column per
    image. With the batch innermost this is a reshape, not a copy."""

    def __init__(self) -> None:
        super().__init__()
        self._x_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x_shape = x.shape
        return x.reshape(-1, x.shape[-1])

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._x_shape is None:
            raise RuntimeError("Flatten: backward called before forward")
        return dy.reshape(self._x_shape)
