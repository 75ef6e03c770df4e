"""The layer protocol and the buffer cache every layer uses to avoid allocating per batch."""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping

import numpy as np

logger = logging.getLogger(__name__)

# A layer keeps one buffer per (role, shape, dtype); a handful of batch sizes is normal (train, eval, the last partial
# batch). Past this many the cache is dropped so that a caller cycling through many sizes cannot grow memory unbounded.
_MAX_BUFFERS = 24


class Layer:
    """Base class: parameter binding and reusable output buffers.

    Subclasses set ``param_shapes`` (name -> shape) for their parameters and implement ``forward``/``backward``.
    ``backward`` accumulates into ``grads``; an owner that zeroes nothing and needs only this pass's gradient (the
    model) sets ``accumulate_grads = False`` and the layers then write the gradients in place, saving a pass.
    """

    def __init__(self) -> None:
        self.param_shapes: dict[str, tuple[int, ...]] = {}
        self.params: Mapping[str, np.ndarray] = {}
        self.grads: MutableMapping[str, np.ndarray] = {}
        self._buffers: dict[tuple[str, tuple[int, ...], object], np.ndarray] = {}
        self.accumulate_grads = True

    def bind(self, params: Mapping[str, np.ndarray], grads: MutableMapping[str, np.ndarray]) -> None:
        """Use ``params`` (shared, read-only here) and accumulate into ``grads`` (this replica's)."""
        for name, shape in self.param_shapes.items():
            if params[name].shape != shape or grads[name].shape != shape:
                raise ValueError(f"{name}: expected shape {shape}, got {params[name].shape} / {grads[name].shape}")
        self.params = params
        self.grads = grads

    def buffer(self, role: str, shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
        """A zero-initialised array reused across calls with the same ``role``, ``shape`` and ``dtype``.

        Zero-initialised matters: padding borders are written once here and never touched again.
        """
        key = (role, shape, dtype)
        buf = self._buffers.get(key)
        if buf is None:
            if len(self._buffers) >= _MAX_BUFFERS:
                logger.debug("%s: dropping %d cached buffers", type(self).__name__, len(self._buffers))
                self._buffers.clear()
            buf = np.zeros(shape, dtype=dtype)
            self._buffers[key] = buf
        return buf

    def grad_out(self, name: str) -> np.ndarray:
        """Where to compute ``name``'s gradient: ``grads[name]`` itself when overwriting, else a scratch array that
        :meth:`grad_done` then adds in."""
        grad = self.grads[name]
        return self.buffer(f"grad:{name}", grad.shape, grad.dtype) if self.accumulate_grads else grad

    def grad_done(self, name: str, computed: np.ndarray) -> None:
        if self.accumulate_grads:
            self.grads[name] += computed

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError
