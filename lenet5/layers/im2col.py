"""im2col for batch-innermost ``(C, H, W, N)`` images, plain and pooling-ordered, with plain-loop references.

``cols`` has shape ``(C, k, k, Ho, Wo, N)`` (viewed as ``(C*k*k, Ho*Wo*N)`` by the convolution): row ``(c, i, j)``
holds input channel ``c`` shifted by ``(i, j)``. That row order is PyTorch's ``weight.reshape(out, -1)`` column order,
so the convolution is one GEMM with the weight as stored, and its output ``(out, Ho, Wo, N)`` is the next layer's
input layout. With the batch innermost, the copies move runs of ``Wo * N`` contiguous values rather than single
image rows, which is what makes them cheap in numpy.

Each kernel is split into "view" functions (strided views, built once per buffer and cached by the layers) and the
copies that use them, so that a training step spends its time copying, not constructing views.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


def im2col_view(x: np.ndarray, k: int) -> np.ndarray:
    """Read-only strided view of ``x`` (C, H, W, N) whose copy is the im2col matrix (C, k, k, Ho, Wo, N)."""
    c, h, w, n = x.shape
    sc, sh, sw, sn = x.strides
    return as_strided(x, shape=(c, k, k, h - k + 1, w - k + 1, n), strides=(sc, sh, sw, sh, sw, sn), writeable=False)


def im2col(x: np.ndarray, k: int, out: np.ndarray | None = None) -> np.ndarray:
    """Unfold ``x`` (C, H, W, N) into ``(C, k, k, H-k+1, W-k+1, N)``, writing into ``out`` when given."""
    view = im2col_view(x, k)
    if out is None:
        out = np.empty(view.shape, dtype=x.dtype)
    np.copyto(out, view)
    return out


# -- pooling-ordered im2col -------------------------------------------------------------------------------------------
#
# Output pixel (2r + dh, 2s + dw) goes to cols[..., dh, dw, r, s, :], so the convolution's output comes out as four
# contiguous planes, one per 2x2 window position, and the pooling after it works on whole planes instead of stride-2
# views. A direct stride-2 copy would move runs of only N values, so this goes through two intermediate layouts
# whose copies all move long contiguous runs:
#
# 1. phases[c, ph, pw, a, b] = x_padded[c, 2a + ph, 2b + pw]: the padded image split by row/column parity (four
#    strided gathers from x; the zero margins stay zero);
# 2. sub[c, u, v, r, s] = x_padded[c, 2r + u, 2s + v] = phases[c, u % 2, v % 2, r + u // 2, s + v // 2] for
#    u, v < k + 1 (one copy: with u = 2 alpha + ph it is a strided view of phases);
# 3. cols[c, i, j, dh, dw] = sub[c, i + dh, j + dw] (one copy).


def pooled_shapes(c: int, h: int, w: int, n: int, k: int, padding: int) -> tuple[tuple[int, ...], ...]:
    """Shapes of ``(phases, sub, cols)`` for :func:`im2col_pooled`; ValueError unless k is odd and Ho, Wo even."""
    hpad, wpad = h + 2 * padding, w + 2 * padding
    ho, wo = hpad - k + 1, wpad - k + 1
    if k % 2 == 0 or ho % 2 or wo % 2:
        raise ValueError(f"pooled im2col needs an odd kernel and an even output size, got k={k}, output {ho}x{wo}")
    hp, wp = ho // 2, wo // 2
    return (c, 2, 2, hpad // 2, wpad // 2, n), (c, k + 1, k + 1, hp, wp, n), (c, k, k, 2, 2, hp, wp, n)


def fill_phases(x: np.ndarray, phases: np.ndarray, padding: int) -> None:
    """Step 1: copy ``x`` (C, H, W, N) into the interior of ``phases`` (margins untouched, so they stay zero)."""
    for ph in range(2):
        for pw in range(2):
            # padded row 2a + ph is image row 2a + ph - padding: the first a inside the image, and its image row
            a0, b0 = (padding - ph + 1) // 2, (padding - pw + 1) // 2
            r0, c0 = 2 * a0 + ph - padding, 2 * b0 + pw - padding
            rows = x[:, r0::2, c0::2]
            phases[:, ph, pw, a0 : a0 + rows.shape[1], b0 : b0 + rows.shape[2]] = rows


def pooled_views(phases: np.ndarray, sub: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views for steps 2 and 3: ``(sub_target, sub_source, cols_source)``; copy source to target, then
    ``cols_source`` into cols."""
    c, _, _, hp, wp, n = sub.shape
    half = (k + 1) // 2
    pc, pph, ppw, pa, pb, pn = phases.strides
    sub_source = as_strided(
        phases, shape=(c, half, 2, half, 2, hp, wp, n), strides=(pc, pa, pph, pb, ppw, pa, pb, pn), writeable=False
    )
    tc, tu, tv, tr, ts, tn = sub.strides
    cols_source = as_strided(
        sub, shape=(c, k, k, 2, 2, hp, wp, n), strides=(tc, tu, tv, tu, tv, tr, ts, tn), writeable=False
    )
    return sub.reshape(c, half, 2, half, 2, hp, wp, n), sub_source, cols_source


def im2col_pooled(x: np.ndarray, k: int, padding: int = 0) -> np.ndarray:
    """Unfold ``x`` (C, H, W, N), zero-padded by ``padding``, into the pooling-ordered ``(C, k, k, 2, 2, Ho/2,
    Wo/2, N)``: output pixel ``(2r + dh, 2s + dw)`` at ``[..., dh, dw, r, s, :]``. ``k`` odd, output size even."""
    c, h, w, n = x.shape
    phases_shape, sub_shape, cols_shape = pooled_shapes(c, h, w, n, k, padding)
    phases, sub, cols = np.zeros(phases_shape, x.dtype), np.empty(sub_shape, x.dtype), np.empty(cols_shape, x.dtype)
    fill_phases(x, phases, padding)
    sub_target, sub_source, cols_source = pooled_views(phases, sub, k)
    np.copyto(sub_target, sub_source)
    np.copyto(cols, cols_source)
    return cols


def im2col_reference(x: np.ndarray, k: int) -> np.ndarray:
    """Plain-loop :func:`im2col`."""
    c, h, w, n = x.shape
    ho, wo = h - k + 1, w - k + 1
    out = np.zeros((c, k, k, ho, wo, n), dtype=x.dtype)
    for ci in range(c):
        for i in range(k):
            for j in range(k):
                for r in range(ho):
                    for s in range(wo):
                        for ni in range(n):
                            out[ci, i, j, r, s, ni] = x[ci, r + i, s + j, ni]
    return out


def im2col_pooled_reference(x: np.ndarray, k: int) -> np.ndarray:
    """Plain-loop :func:`im2col_pooled` of an already padded ``x``."""
    c, h, w, n = x.shape
    hp, wp = (h - k + 1) // 2, (w - k + 1) // 2
    out = np.zeros((c, k, k, 2, 2, hp, wp, n), dtype=x.dtype)
    for ci in range(c):
        for i in range(k):
            for j in range(k):
                for dh in range(2):
                    for dw in range(2):
                        for r in range(hp):
                            for s in range(wp):
                                for ni in range(n):
                                    out[ci, i, j, dh, dw, r, s, ni] = x[ci, 2 * r + dh + i, 2 * s + dw + j, ni]
    return out
