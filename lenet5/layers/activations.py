"""Elementwise activations: ReLU (modern LeNet-5) and LeCun's scaled tanh ``1.7159 * tanh(2x/3)`` (classic)."""

from __future__ import annotations

import numpy as np

from lenet5.layers.base import Layer

# LeCun et al. 1998, appendix A: f(a) = A tanh(S a) with A = 1.7159 and S = 2/3, so that f(1) = 1 and f(-1) = -1.
TANH_AMPLITUDE = 1.7159
TANH_SLOPE = 2.0 / 3.0


class ReLU(Layer):
    """``max(x, 0)`` on any shape; the gradient is zero where the output is zero (PyTorch's convention at 0)."""

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = self.buffer("y", x.shape, x.dtype)
        np.maximum(x, 0, out=y)
        self._y = y
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._y is None:
            raise RuntimeError("ReLU: backward called before forward")
        active = self.buffer("active", dy.shape, np.bool_)
        np.greater(self._y, 0, out=active)
        dx = self.buffer("dx", dy.shape, dy.dtype)
        np.multiply(dy, active, out=dx)
        return dx


class ScaledTanh(Layer):
    """``1.7159 * tanh(2x / 3)`` on any shape."""

    def __init__(self) -> None:
        super().__init__()
        self._t: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        t = self.buffer("tanh", x.shape, x.dtype)
        np.multiply(x, TANH_SLOPE, out=t)
        np.tanh(t, out=t)
        y = self.buffer("y", x.shape, x.dtype)
        np.multiply(t, TANH_AMPLITUDE, out=y)
        self._t = t
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._t is None:
            raise RuntimeError("ScaledTanh: backward called before forward")
        dx = self.buffer("dx", dy.shape, dy.dtype)
        # d/dx A tanh(S x) = A S (1 - tanh^2(S x))
        np.multiply(self._t, self._t, out=dx)
        np.subtract(1, dx, out=dx)
        dx *= TANH_AMPLITUDE * TANH_SLOPE
        dx *= dy
        return dx
