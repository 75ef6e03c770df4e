"""Adam and SGD with ``torch.optim.Adam`` / ``torch.optim.SGD`` semantics, plus learning-rate schedules.

Both optimizers take the ``params`` dict and update it in place from a ``grads`` dict with the same keys. When the
arrays are consecutive views of one flat array (as :class:`lenet5.model.LeNet5` lays them out) the update runs as a
handful of vectorised operations on the whole flat array instead of ten small ones per operation, split across the
shared worker threads (``threads``, default as for the model: :func:`lenet5.parallel.default_threads`); otherwise it
loops over the arrays. The arithmetic follows PyTorch's single-tensor implementations operation by operation (PyTorch's
kernels may fuse a multiply-add, so results agree to float32 rounding, not bit for bit).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Mapping

import numpy as np

from lenet5.parallel import default_threads, shared_pool

logger = logging.getLogger(__name__)

SCHEDULES = ("constant", "step", "cosine")
# Below this many parameters a flat update is not worth splitting across threads (a hand-off costs ~20 us).
PARALLEL_MIN_SIZE = 1 << 15
_ALIGN = 64  # chunk boundaries on multiples of 64 elements keep every chunk's SIMD loops aligned
STEP_GAMMA = 0.1  # the "step" schedule multiplies the rate by this ...
STEP_PHASES = 3  # ... at each third of the run


def _flat_root(arrays: list[np.ndarray]) -> np.ndarray | None:
    """The 1-D array that ``arrays`` tile exactly, in order, or None when they do not."""
    root = arrays[0]
    while root.base is not None and isinstance(root.base, np.ndarray):
        root = root.base
    if root.ndim != 1 or not root.flags.c_contiguous or not root.flags.writeable:
        return None
    address = root.__array_interface__["data"][0]
    for a in arrays:
        if a.dtype != root.dtype or not a.flags.c_contiguous or a.__array_interface__["data"][0] != address:
            return None
        address += a.nbytes
    if address != root.__array_interface__["data"][0] + root.nbytes:
        return None
    return root


class _Optimizer:
    """Shared plumbing: named flat state, flat-or-per-array dispatch, state_dict."""

    state_names: tuple[str, ...] = ()

    def __init__(self, params: Mapping[str, np.ndarray], lr: float, threads: int | None) -> None:
        if not params:
            raise ValueError("optimizer got no parameters")
        if lr < 0:
            raise ValueError(f"learning rate must be >= 0, got {lr}")
        self.params = dict(params)
        self.names = list(self.params)
        self.lr = float(lr)
        self.step_count = 0
        values = [self.params[name] for name in self.names]
        dtype = values[0].dtype
        self._flat_params = _flat_root(values)
        total = sum(v.size for v in values)
        self._state = {key: np.zeros(total, dtype=dtype) for key in self.state_names}
        self._state_views: dict[str, dict[str, np.ndarray]] = {}
        for key, flat in self._state.items():
            views, offset = {}, 0
            for name, value in zip(self.names, values):
                views[name] = flat[offset : offset + value.size].reshape(value.shape)
                offset += value.size
            self._state_views[key] = views
        self._tmp = np.zeros(total, dtype=dtype)
        self._grads_key: tuple[int, ...] | None = None
        self._grads_ref: list[np.ndarray] = []
        self._flat_grads: np.ndarray | None = None
        self.threads = default_threads() if threads is None else int(threads)
        parts = self.threads if self._flat_params is not None and total >= PARALLEL_MIN_SIZE else 1
        # Elementwise updates: any split gives the same bits, so the thread count never changes a result.
        bounds = [min(total, (total * k // parts + _ALIGN - 1) // _ALIGN * _ALIGN) for k in range(parts)] + [total]
        self._chunks = list(itertools.pairwise(bounds))
        self._pool = shared_pool(self.threads) if parts > 1 else None

    def _flat_grads_for(self, grads: Mapping[str, np.ndarray]) -> np.ndarray | None:
        values = [grads[name] for name in self.names]
        key = tuple(id(v) for v in values)
        if key != self._grads_key:
            self._grads_key, self._grads_ref = key, values  # holding the arrays keeps their ids unique
            self._flat_grads = _flat_root(values)
        return self._flat_grads

    def step(self, grads: Mapping[str, np.ndarray]) -> None:
        """Apply one update from ``grads`` (same keys and shapes as ``params``)."""
        missing = [name for name in self.names if name not in grads]
        if missing:
            raise ValueError(f"grads lack {', '.join(missing)}")
        self.step_count += 1
        flat_grads = self._flat_grads_for(grads) if self._flat_params is not None else None
        if self._flat_params is not None and flat_grads is not None:
            flat_params = self._flat_params

            def update_chunk(k: int, slot: int = 0) -> None:
                lo, hi = self._chunks[k]
                state = {key: value[lo:hi] for key, value in self._state.items()}
                self._update(flat_params[lo:hi], flat_grads[lo:hi], state, self._tmp[lo:hi])

            if self._pool is not None:
                self._pool.run(update_chunk, len(self._chunks))
            else:
                update_chunk(0)
            return
        offset = 0
        for name in self.names:
            p = self.params[name]
            tmp = self._tmp[offset : offset + p.size].reshape(p.shape)
            offset += p.size
            state = {key: views[name] for key, views in self._state_views.items()}
            self._update(p, np.asarray(grads[name], dtype=p.dtype), state, tmp)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], tmp: np.ndarray) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, object]:
        """``{"step": int, "<state>.<param name>": array copy, ...}``; savable with ``np.savez``."""
        out: dict[str, object] = {"step": self.step_count}
        for key, views in self._state_views.items():
            for name, value in views.items():
                out[f"{key}.{name}"] = value.copy()
        return out

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Restore what :meth:`state_dict` returned (0-d arrays from an ``.npz`` are fine); ValueError on mismatch."""
        expected = {f"{key}.{name}": views[name].shape for key, views in self._state_views.items() for name in views}
        problems = [f"missing {k}" for k in ["step", *expected] if k not in state]
        problems += [f"unexpected {k}" for k in state if k != "step" and k not in expected]
        for k, shape in expected.items():
            if k in state and np.asarray(state[k]).shape != shape:
                problems.append(f"{k} has shape {np.asarray(state[k]).shape}, expected {shape}")
        if problems:
            raise ValueError(f"{type(self).__name__} state does not fit: " + "; ".join(problems))
        step = np.asarray(state["step"])
        if step.shape != () or not np.issubdtype(step.dtype, np.integer) or int(step) < 0:
            raise ValueError(f"{type(self).__name__} state: step must be a non-negative integer, got {state['step']!r}")
        self.step_count = int(step)
        for key, views in self._state_views.items():
            for name, value in views.items():
                value[...] = np.asarray(state[f"{key}.{name}"], dtype=value.dtype)


class Adam(_Optimizer):
    """``torch.optim.Adam`` (amsgrad=False, L2-style ``weight_decay`` added to the gradient)."""

    state_names = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Mapping[str, np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        threads: int | None = None,
    ) -> None:
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        if eps < 0 or weight_decay < 0:
            raise ValueError(f"eps and weight_decay must be >= 0, got {eps} and {weight_decay}")
        super().__init__(params, lr, threads)
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], tmp: np.ndarray) -> None:
        beta1, beta2 = self.betas
        m, v = state["exp_avg"], state["exp_avg_sq"]
        if self.weight_decay:
            g = g + self.weight_decay * p  # a new array: the caller's gradient stays untouched
        # exp_avg.lerp_(grad, 1 - beta1)
        np.subtract(g, m, out=tmp)
        tmp *= 1 - beta1
        m += tmp
        # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        v *= beta2
        np.multiply(g, 1 - beta2, out=tmp)
        tmp *= g
        v += tmp
        # param.addcdiv_(exp_avg, exp_avg_sq.sqrt() / sqrt(bias_correction2) + eps, value=-lr / bias_correction1)
        step_size = self.lr / (1 - beta1**self.step_count)
        bias_correction2_sqrt = math.sqrt(1 - beta2**self.step_count)
        np.sqrt(v, out=tmp)
        tmp /= bias_correction2_sqrt
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= step_size
        p -= tmp


class SGD(_Optimizer):
    """``torch.optim.SGD`` (dampening 0): ``buf = momentum * buf + g``; step along ``g + momentum * buf`` (Nesterov)
    or ``buf``; ``weight_decay`` is added to the gradient first."""

    state_names = ("momentum_buffer",)

    def __init__(
        self,
        params: Mapping[str, np.ndarray],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        *,
        threads: int | None = None,
    ) -> None:
        if momentum < 0 or weight_decay < 0:
            raise ValueError(f"momentum and weight_decay must be >= 0, got {momentum} and {weight_decay}")
        if nesterov and momentum <= 0:
            raise ValueError("Nesterov momentum requires momentum > 0")
        super().__init__(params, lr, threads)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.weight_decay = float(weight_decay)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], tmp: np.ndarray) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            buf = state["momentum_buffer"]
            # PyTorch starts the buffer as a copy of the first gradient: 0 * momentum + g is exactly that.
            buf *= self.momentum
            buf += g
            if self.nesterov:
                np.multiply(buf, self.momentum, out=tmp)
                tmp += g
            else:
                np.copyto(tmp, buf)
        else:
            np.copyto(tmp, g)
        tmp *= self.lr
        p -= tmp


def make_schedule(name: str | None, base_lr: float, epochs: int, steps_per_epoch: int) -> Callable[[int], float]:
    """``lr_at(step)`` for optimizer step ``step`` (0-based, counted over the whole run).

    - ``None`` / ``"constant"``: ``base_lr`` throughout.
    - ``"step"``: ``base_lr * 0.1 ** k`` in the k-th third of the epochs (PyTorch ``StepLR`` with
      ``step_size = max(1, epochs // 3)`` epochs, ``gamma = 0.1``).
    - ``"cosine"``: ``base_lr * (1 + cos(pi * step / total_steps)) / 2``, annealed per step to 0 at the end
      (``CosineAnnealingLR`` with ``T_max = total_steps``, ``eta_min = 0``).
    """
    if epochs < 1 or steps_per_epoch < 1:
        raise ValueError(f"epochs and steps_per_epoch must be >= 1, got {epochs} and {steps_per_epoch}")
    if base_lr < 0:
        raise ValueError(f"base_lr must be >= 0, got {base_lr}")
    total = epochs * steps_per_epoch
    if name is None or name == "constant":
        return lambda step: base_lr
    if name == "step":
        step_epochs = max(1, epochs // STEP_PHASES)
        return lambda step: base_lr * STEP_GAMMA ** ((step // steps_per_epoch) // step_epochs)
    if name == "cosine":
        return lambda step: base_lr * 0.5 * (1.0 + math.cos(math.pi * min(max(step, 0), total) / total))
    raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
