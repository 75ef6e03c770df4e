"""LeNet-5 building blocks: small layers with ``forward``/``backward`` on channel-major activations.

Every layer works on any floating dtype (float32 in training, float64 in the gradient checks) and follows one protocol:

- ``bind(params, grads)`` hands the layer the shared parameter arrays and this replica's gradient arrays, both keyed by
  PyTorch ``state_dict`` names (``conv1.weight`` ...). Several replicas of a layer (one per batch shard, see
  :mod:`lenet5.parallel`) share ``params`` and own their ``grads``.
- ``forward(x)`` caches what ``backward`` needs and returns the output.
- ``backward(dy)`` returns the input gradient and *accumulates* into ``grads[name]``.

Activations keep the batch innermost: images are ``(C, H, W, N)`` and feature vectors ``(F, N)``, one column per image.
Each convolution is then one GEMM ``W(out, in*k*k) @ cols(in*k*k, H*W*N)`` with the weight in PyTorch's own layout,
its output is already the next layer's input layout, flattening is a free reshape, and every im2col copy, shifted
add and pooling step moves runs of ``W*N`` (or ``N``) contiguous values instead of single pixels -- in numpy the
per-run overhead, not the arithmetic, is what costs.

Arrays a layer returns live in buffers the layer reuses on the next call with the same shape: copy them if you keep them.
"""

from __future__ import annotations

from lenet5.layers.activations import ReLU, ScaledTanh
from lenet5.layers.avgpool import AvgPool2x2
from lenet5.layers.base import Layer
from lenet5.layers.bias import ChannelBias
from lenet5.layers.conv2d import Conv2D
from lenet5.layers.flatten import Flatten
from lenet5.layers.linear import Linear
from lenet5.layers.maxpool import MaxPool2x2

__all__ = ["AvgPool2x2", "ChannelBias", "Conv2D", "Flatten", "Layer", "Linear", "MaxPool2x2", "ReLU", "ScaledTanh"]
