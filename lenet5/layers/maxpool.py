"""2x2 / stride-2 max pooling that routes each gradient to the FIRST maximum of its window, as PyTorch does."""

from __future__ import annotations

import numpy as np

from lenet5.layers.base import Layer

# Window positions in PyTorch's scan order (row-major inside the window). PyTorch keeps the first position whose value
# is strictly greater than everything scanned before it, so on a tie the earliest position wins.
_SCAN_ORDER = ((0, 0), (0, 1), (1, 0), (1, 1))


def window_views(x: np.ndarray) -> list[np.ndarray]:
    """The four views of ``x`` holding each 2x2 window's (i, j) element, in scan order, each (C, H/2, W/2, N).

    ``x`` is (C, H, W, N), or (C, 2, 2, H/2, W/2, N) as a convolution with ``pooled_output=True`` lays it out, in
    which case the views are contiguous planes rather than stride-2 views.
    """
    if x.ndim == 6:
        return [x[:, i, j] for i, j in _SCAN_ORDER]
    c, h, w, n = x.shape
    v = x.reshape(c, h // 2, 2, w // 2, 2, n)
    return [v[:, :, i, :, j] for i, j in _SCAN_ORDER]


def check_poolable(x: np.ndarray) -> None:
    if x.ndim == 6 and x.shape[1:3] == (2, 2):
        return
    if x.ndim != 4 or x.shape[1] % 2 or x.shape[2] % 2:
        raise ValueError(f"2x2 pooling needs (C, H, W, N) input with even H and W, got shape {x.shape}")


class MaxPool2x2(Layer):
    """Max over non-overlapping 2x2 windows: ``x`` (C, H, W, N) -> (C, H/2, W/2, N), H and W even (or the
    pooled layout of :func:`window_views`).

    Ties are common (flat background gives identical activations): an "equals the max" mask would send the gradient
    to every tied position and, for instance, multiply conv1's bias gradient on blank regions. The backward pass
    instead hands each window's gradient to the first position (in scan order) equal to the max, which is the
    position PyTorch's strictly-greater scan selects.
    """

    def __init__(self) -> None:
        super().__init__()
        self._x: np.ndarray | None = None
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_poolable(x)
        a, b, cc, d = window_views(x)
        y = self.buffer("y", a.shape, x.dtype)
        np.maximum(a, b, out=y)
        np.maximum(y, cc, out=y)
        np.maximum(y, d, out=y)
        self._x, self._y = x, y
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._x is None or self._y is None:
            raise RuntimeError("MaxPool2x2: backward called before forward")
        x, y = self._x, self._y
        dx = self.buffer("dx", x.shape, dy.dtype)
        pending = self.buffer("pending", y.shape, dy.dtype)  # gradient not yet handed to a window position
        hit = self.buffer("hit", y.shape, np.bool_)
        (sa, sb, sc, _), (ta, tb, tc, td) = window_views(x), window_views(dx)
        # Hand the gradient to the first position equal to the max; "pending" keeps what is not yet handed over
        # (pending - pending * hit is exactly 0 where hit and exactly pending elsewhere).
        np.equal(sa, y, out=hit)
        np.multiply(dy, hit, out=ta)
        np.subtract(dy, ta, out=pending)
        np.equal(sb, y, out=hit)
        np.multiply(pending, hit, out=tb)
        np.subtract(pending, tb, out=pending)
        np.equal(sc, y, out=hit)
        np.multiply(pending, hit, out=tc)
        # Whatever is still pending belongs to the last position: the max whenever no earlier position was.
        np.subtract(pending, tc, out=td)
        return dx


def maxpool2x2_reference(x: np.ndarray, dy: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Plain-loop max pooling of ``x`` (C, H, W, N) and, when ``dy`` is given, its first-maximum gradient."""
    c, h, w, n = x.shape
    y = np.zeros((c, h // 2, w // 2, n), dtype=x.dtype)
    dx = np.zeros_like(x) if dy is not None else None
    for ci in range(c):
        for ni in range(n):
            for r in range(h // 2):
                for s in range(w // 2):
                    best, best_pos = -np.inf, (2 * r, 2 * s)
                    for i in range(2):
                        for j in range(2):
                            value = x[ci, 2 * r + i, 2 * s + j, ni]
                            if value > best:  # strictly greater: the first maximum wins
                                best, best_pos = value, (2 * r + i, 2 * s + j)
                    y[ci, r, s, ni] = best
                    if dx is not None and dy is not None:
                        dx[ci, best_pos[0], best_pos[1], ni] += dy[ci, r, s, ni]
    return y, dx
