"""im2col for batch-innermost ``(C, H, W, N)`` images, with plain-loop references for the tests.

``cols`` has shape ``(C, k, k, Ho, Wo, N)`` (viewed as ``(C*k*k, Ho*Wo*N)`` by the convolution): row ``(c, i, j)``
holds input channel ``c`` shifted by ``(i, j)``. That row order is PyTorch's ``weight.reshape(out, -1)`` column order,
so the convolution is one GEMM with the weight as stored, and its output ``(out, Ho, Wo, N)`` is the next layer's
input layout. With the batch innermost, the copy moves runs of ``Wo * N`` contiguous values
rather than single image rows, which is what makes these kernels cheap in numpy.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


def im2col(x: np.ndarray, k: int, out: np.ndarray | None = None) -> np.ndarray:
    """Unfold ``x`` (C, H, W, N) into ``(C, k, k, H-k+1, W-k+1, N)``, writing into ``out`` when given."""
    c, h, w, n = x.shape
    ho, wo = h - k + 1, w - k + 1
    if out is None:
        out = np.empty((c, k, k, ho, wo, n), dtype=x.dtype)
    sc, sh, sw, sn = x.strides
    np.copyto(out, as_strided(x, shape=(c, k, k, ho, wo, n), strides=(sc, sh, sw, sh, sw, sn), writeable=False))
    return out


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
