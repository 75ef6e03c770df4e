"""Per-channel bias on channel-major activations, for a convolution whose bias is applied after pooling."""

from __future__ import annotations

import numpy as np

from lenet5.layers.base import Layer


class ChannelBias(Layer):
    """``y[c] = x[c] + b[c]`` for ``x`` (C, H, W, N); parameter ``{name}.bias`` (C,).

    Max pooling commutes with adding a per-channel constant (rounding is monotonic, so even the float result is
    identical), so the modern LeNet-5 adds conv biases after pooling: four times fewer additions, and the
    bias gradient sums a four times smaller array.
    """

    def __init__(self, name: str, channels: int) -> None:
        super().__init__()
        self.bias_name = f"{name}.bias"
        self.param_shapes[self.bias_name] = (channels,)

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = self.buffer("y", x.shape, x.dtype)
        np.add(x, self.params[self.bias_name].reshape(-1, *([1] * (x.ndim - 1))), out=y)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        db = self.grad_out(self.bias_name)
        np.sum(dy.reshape(dy.shape[0], -1), axis=1, out=db)
        self.grad_done(self.bias_name, db)
        return dy
