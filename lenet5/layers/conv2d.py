"""2-D convolution (stride 1, square kernel, zero padding, optional connection table) as im2col + one GEMM."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from numpy.lib.stride_tricks import as_strided

from lenet5.layers.base import Layer
from lenet5.layers.im2col import fill_phases, im2col_view, pooled_shapes, pooled_views


# Plans kept per layer: a training run needs two or three batch shapes (full, last partial, evaluation chunks).
MAX_PLANS = 4


class Conv2D(Layer):
    """``y[o] = sum_c W[o, c] * x[c] (+ b[o])`` on batch-innermost images.

    Shapes: ``x`` (C, H, W, N) -> ``y`` (O, Ho, Wo, N) with ``Ho = H + 2p - k + 1`` (same for W). Parameters
    ``{name}.weight`` (O, C, k, k) and, when ``bias``, ``{name}.bias`` (O,): PyTorch's layouts.

    ``connections`` (O, C) bool, when given, is a sparse connection table (LeNet-5's C3): the layer uses
    ``weight * connections`` and its weight gradient is zero outside the table, exactly what PyTorch computes for
    a ``Conv2d`` whose weight is multiplied by a constant mask. ``needs_input_grad=False`` (the first layer) skips
    the input gradient, which is the costliest part of the backward pass.

    ``pooled_output=True`` orders the output for a following 2x2 pool: ``y`` is (O, 2, 2, Ho/2, Wo/2, N) with output
    pixel ``(2r + dh, 2s + dw)`` at ``y[:, dh, dw, r, s]``, which the pooling layers accept as is (see
    :mod:`lenet5.layers.im2col`); ``dy`` then comes back in the same layout.

    Buffers and the strided views into them are built once per input shape ("plans") and reused: at LeNet-5's
    sizes, constructing views would otherwise cost as much as some of the copies.
    """

    def __init__(
        self,
        name: str,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        *,
        padding: int = 0,
        bias: bool = True,
        connections: np.ndarray | None = None,
        needs_input_grad: bool = True,
        pooled_output: bool = False,
    ) -> None:
        super().__init__()
        self.name = name
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.padding = padding
        self.has_bias = bias
        self.needs_input_grad = needs_input_grad
        self.pooled_output = pooled_output
        self.weight_name = f"{name}.weight"
        self.bias_name = f"{name}.bias"
        self.param_shapes[self.weight_name] = (out_channels, in_channels, kernel_size, kernel_size)
        if bias:
            self.param_shapes[self.bias_name] = (out_channels,)
        self.mask: np.ndarray | None = None
        if connections is not None:
            connections = np.asarray(connections, dtype=bool)
            if connections.shape != (out_channels, in_channels):
                raise ValueError(
                    f"{name}: connection table must be {(out_channels, in_channels)}, got {connections.shape}"
                )
            self.mask = np.broadcast_to(connections[:, :, None, None], self.param_shapes[self.weight_name])
        self._plans: dict[tuple, SimpleNamespace] = {}
        self._plan: SimpleNamespace | None = None  # the last forward's plan, which backward uses

    # -- plans --------------------------------------------------------------------------------------------------------

    def _plan_for(self, x: np.ndarray) -> SimpleNamespace:
        key = (x.shape, x.dtype)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= MAX_PLANS:  # a caller cycling through batch sizes: start over
                self._plans.clear()
            plan = self._plans[key] = self._make_plan(x)
        return plan

    def _make_plan(self, x: np.ndarray) -> SimpleNamespace:
        c, h, w, n = x.shape
        o, k, p = self.out_channels, self.kernel_size, self.padding
        dtype = x.dtype
        plan = SimpleNamespace(x_shape=x.shape, ho=h + 2 * p - k + 1, wo=w + 2 * p - k + 1, source_of=None)
        if self.pooled_output:
            phases_shape, sub_shape, cols_shape = pooled_shapes(c, h, w, n, k, p)
            plan.phases = np.zeros(phases_shape, dtype)  # zero margins, never written
            sub = np.empty(sub_shape, dtype)
            plan.cols = np.empty(cols_shape, dtype)
            plan.sub_target, plan.sub_source, plan.cols_source = pooled_views(plan.phases, sub, k)
            plan.y = np.empty((o, 2, 2, plan.ho // 2, plan.wo // 2, n), dtype)
        else:
            if p:
                padded = np.zeros((c, h + 2 * p, w + 2 * p, n), dtype)  # zero border, never written
                plan.padded_interior = padded[:, p : p + h, p : p + w]
                plan.cols_source = im2col_view(padded, k)
            plan.cols = np.empty((c, k, k, plan.ho, plan.wo, n), dtype)
            plan.y = np.empty((o, plan.ho, plan.wo, n), dtype)
        kk = c * k * k
        plan.cols2d = plan.cols.reshape(kk, -1)
        plan.cols2d_t = plan.cols2d.T
        plan.y2d = plan.y.reshape(o, -1)
        return plan

    def _input_gradient_plan(self, plan: SimpleNamespace, dtype: np.dtype) -> SimpleNamespace:
        """Buffers and views for :meth:`_input_gradient`, added to the forward plan on first use."""
        if getattr(plan, "dy_wide", None) is None:
            c, h, w, n = plan.x_shape
            o, k, p = self.out_channels, self.kernel_size, self.padding
            ho, wo, wp = plan.ho, plan.wo, w + 2 * p
            plan.dy_wide = np.zeros((o, ho, wo + 2 * (k - 1), n), dtype)  # zero margins of k-1 columns
            plan.dy_wide_interior = plan.dy_wide[:, :, k - 1 : k - 1 + wo]
            so, sh, sq, sn = plan.dy_wide.strides
            # shifted[o, j, h, q] = dy_wide[o, h, q - j + k - 1]
            plan.shifted_source = as_strided(
                plan.dy_wide[:, :, k - 1 :], shape=(o, k, ho, wp, n), strides=(so, -sq, sh, sq, sn), writeable=False
            )
            plan.shifted = np.empty((o, k, ho, wp, n), dtype)
            plan.shifted2d = plan.shifted.reshape(o * k, -1)
            plan.weight_rows = np.empty((c, k, o, k), dtype)
            plan.weight_rows2d = plan.weight_rows.reshape(c * k, o * k)
            rows = np.empty((c, k, ho, wp, n), dtype)
            plan.rows2d = rows.reshape(c * k, -1)
            dx = np.empty((c, h + 2 * p, wp, n), dtype)
            plan.dx = dx
            plan.row_adds = [(dx[:, i : i + ho], rows[:, i]) for i in range(k)]
            plan.dx_out = dx[:, p : p + h, p : p + w] if p else dx
        return plan

    # -- forward / backward -------------------------------------------------------------------------------------------

    def _weight_matrix(self) -> np.ndarray:
        """The weight as (O, C*k*k), masked by the connection table when there is one."""
        w = self.params[self.weight_name]
        if self.mask is not None:
            masked = self.buffer("masked_weight", w.shape, w.dtype)
            np.multiply(w, self.mask, out=masked)
            w = masked
        return w.reshape(self.out_channels, -1)

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 4 or x.shape[0] != self.in_channels:
            raise ValueError(f"{self.name}: expected ({self.in_channels}, H, W, N) input, got shape {x.shape}")
        plan = self._plan_for(x)
        if self.pooled_output:
            fill_phases(x, plan.phases, self.padding)
            np.copyto(plan.sub_target, plan.sub_source)
            np.copyto(plan.cols, plan.cols_source)
        else:
            if self.padding:
                np.copyto(plan.padded_interior, x)
            elif plan.source_of is not x:  # views of x are cached while x is the same (persistent) buffer
                plan.cols_source, plan.source_of = im2col_view(x, self.kernel_size), x
            np.copyto(plan.cols, plan.cols_source)
        np.matmul(self._weight_matrix(), plan.cols2d, out=plan.y2d)
        if self.has_bias:
            plan.y2d += self.params[self.bias_name][:, None]
        self._plan = plan
        return plan.y

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        plan = self._plan
        if plan is None:
            raise RuntimeError(f"{self.name}: backward called before forward")
        o = self.out_channels
        dy2 = dy.reshape(o, -1)
        dw = self.grad_out(self.weight_name)
        np.matmul(dy2, plan.cols2d_t, out=dw.reshape(o, -1))
        if self.mask is not None:
            dw *= self.mask
        self.grad_done(self.weight_name, dw)
        if self.has_bias:
            db = self.grad_out(self.bias_name)
            np.add.reduce(dy2, axis=1, out=db)
            self.grad_done(self.bias_name, db)
        if not self.needs_input_grad:
            return None
        return self._input_gradient(dy, plan)

    def _input_gradient(self, dy: np.ndarray, plan: SimpleNamespace) -> np.ndarray:
        """``dx`` (C, H, W, N) as one GEMM against column-shifted copies of ``dy`` (instead of im2col's transpose
        followed by col2im).

        ``dx[c, i+h, q] = sum_{o,j} W[o,c,i,j] dy[o, h, q-j]``: stacking ``dy`` shifted by each ``j`` (zero-filled at
        the edges) gives ``shifted`` (O*k, Ho*Wp*N), and ``W`` rearranged to ``[(c, i), (o, j)]`` times ``shifted``
        yields every row offset ``i`` at once; k contiguous adds then place them. Compared with folding a
        (C*k*k, Ho*Wo*N) column matrix with k*k strided adds, this moves a third of the data for ~40% more
        multiply-adds, which BLAS does faster than numpy does strided adds.
        """
        plan = self._input_gradient_plan(plan, dy.dtype)
        o, k = self.out_channels, self.kernel_size
        if self.pooled_output:  # back to plain (O, Ho, Wo, N): y[:, dh, dw, r, s] is pixel (2r + dh, 2s + dw)
            dy = dy.transpose(0, 3, 1, 4, 2, 5).reshape(o, plan.ho, plan.wo, -1)
        np.copyto(plan.dy_wide_interior, dy)
        np.copyto(plan.shifted, plan.shifted_source)
        np.copyto(plan.weight_rows, self._weight_matrix().reshape(o, self.in_channels, k, k).transpose(1, 2, 0, 3))
        np.matmul(plan.weight_rows2d, plan.shifted2d, out=plan.rows2d)
        dx = plan.dx
        dx.fill(0)
        for target, rows in plan.row_adds:  # fixed order: deterministic
            target += rows
        return plan.dx_out


def conv2d_forward_reference(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, padding: int) -> np.ndarray:
    """Plain-loop convolution in PyTorch's NCHW layout: ``x`` (N, C, H, W) -> (N, O, Ho, Wo)."""
    n, c, h, w = x.shape
    o, _, k, _ = weight.shape
    xp = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=x.dtype)
    xp[:, :, padding : padding + h, padding : padding + w] = x
    ho, wo = h + 2 * padding - k + 1, w + 2 * padding - k + 1
    y = np.zeros((n, o, ho, wo), dtype=x.dtype)
    for ni in range(n):
        for oi in range(o):
            for r in range(ho):
                for s in range(wo):
                    total = 0.0 if bias is None else bias[oi]
                    for ci in range(c):
                        for i in range(k):
                            for j in range(k):
                                total += weight[oi, ci, i, j] * xp[ni, ci, r + i, s + j]
                    y[ni, oi, r, s] = total
    return y


def conv2d_backward_reference(
    x: np.ndarray, weight: np.ndarray, dy: np.ndarray, padding: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plain-loop gradients of :func:`conv2d_forward_reference`: ``(dx, dweight, dbias)``."""
    n, c, h, w = x.shape
    o, _, k, _ = weight.shape
    xp = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=x.dtype)
    xp[:, :, padding : padding + h, padding : padding + w] = x
    dxp = np.zeros_like(xp)
    dweight = np.zeros_like(weight)
    dbias = np.zeros(o, dtype=dy.dtype)
    _, _, ho, wo = dy.shape
    for ni in range(n):
        for oi in range(o):
            for r in range(ho):
                for s in range(wo):
                    g = dy[ni, oi, r, s]
                    dbias[oi] += g
                    for ci in range(c):
                        for i in range(k):
                            for j in range(k):
                                dweight[oi, ci, i, j] += g * xp[ni, ci, r + i, s + j]
                                dxp[ni, ci, r + i, s + j] += g * weight[oi, ci, i, j]
    return dxp[:, :, padding : padding + h, padding : padding + w], dweight, dbias
