"""Fully connected layer on feature columns, with PyTorch's ``(out, in)`` weight layout."""

from __future__ import annotations

import numpy as np

from lenet5.layers.base import Layer


class Linear(Layer):
    """``y = W @ x + b[:, None]``: ``x`` (in, N) -> ``y`` (out, N), one column per image (the batch innermost, like
    the convolutional layers). Parameters ``{name}.weight`` (out, in) and ``{name}.bias`` (out,)."""

    def __init__(self, name: str, in_features: int, out_features: int) -> None:
        super().__init__()
        self.weight_name = f"{name}.weight"
        self.bias_name = f"{name}.bias"
        self.param_shapes[self.weight_name] = (out_features, in_features)
        self.param_shapes[self.bias_name] = (out_features,)
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        w = self.params[self.weight_name]
        y = self.buffer("y", (w.shape[0], x.shape[1]), x.dtype)
        np.matmul(w, x, out=y)
        y += self.params[self.bias_name][:, None]
        self._x = x
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._x is None:
            raise RuntimeError("Linear: backward called before forward")
        w = self.params[self.weight_name]
        dw = self.grad_out(self.weight_name)
        np.matmul(dy, self._x.T, out=dw)
        self.grad_done(self.weight_name, dw)
        db = self.grad_out(self.bias_name)
        np.sum(dy, axis=1, out=db)
        self.grad_done(self.bias_name, db)
        dx = self.buffer("dx", self._x.shape, dy.dtype)
        np.matmul(w.T, dy, out=dx)
        return dx
