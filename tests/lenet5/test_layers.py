"""Every layer against finite differences (float64) and every vectorised kernel against its plain-loop reference."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from lenet5.layers import AvgPool2x2, ChannelBias, Conv2D, Flatten, Layer, Linear, MaxPool2x2, ReLU, ScaledTanh
from lenet5.layers.avgpool import avgpool2x2_reference
from lenet5.layers.conv2d import conv2d_backward_reference, conv2d_forward_reference
from lenet5.layers.im2col import im2col, im2col_pooled, im2col_pooled_reference, im2col_reference
from lenet5.layers.maxpool import maxpool2x2_reference
from lenet5.model import C3_TABLE


def to_chwn(x_nchw: np.ndarray) -> np.ndarray:
    """PyTorch's (N, C, H, W) -> the layers' batch-innermost (C, H, W, N)."""
    return np.ascontiguousarray(x_nchw.transpose(1, 2, 3, 0))


def bind_random(layer: Layer, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    params = {name: rng.normal(size=shape) for name, shape in layer.param_shapes.items()}
    grads = {name: np.zeros(shape) for name, shape in layer.param_shapes.items()}
    layer.bind(params, grads)
    return params, grads


def numeric_gradient(f: Callable[[], float], array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of ``f`` with respect to every entry of ``array`` (perturbed in place)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + eps
        up = f()
        array[index] = saved - eps
        down = f()
        array[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


def check_layer_gradients(layer: Layer, x: np.ndarray, rng: np.random.Generator) -> None:
    """Analytic input and parameter gradients of ``sum(forward(x) * r)`` equal central differences."""
    params, grads = bind_random(layer, rng) if layer.param_shapes else ({}, {})
    r = rng.normal(size=layer.forward(x).shape)

    def objective() -> float:
        return float(np.sum(layer.forward(x) * r))

    layer.forward(x)
    dx = layer.backward(r)
    if dx is not None:
        np.testing.assert_allclose(dx, numeric_gradient(objective, x), rtol=1e-6, atol=1e-8)
    for name in params:
        np.testing.assert_allclose(grads[name], numeric_gradient(objective, params[name]), rtol=1e-6, atol=1e-8)


# -- finite differences, float64 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("padding", "bias", "connections"),
    [(0, True, None), (2, True, None), (1, False, None), (0, True, C3_TABLE[:3, :4].T)],
)
def test_conv2d_gradients_match_finite_differences(padding: int, bias: bool, connections: np.ndarray | None) -> None:
    rng = np.random.default_rng(1)
    layer = Conv2D("conv", 3, 4, 3, padding=padding, bias=bias, connections=connections)
    check_layer_gradients(layer, rng.normal(size=(3, 6, 5, 2)), rng)


def test_conv2d_without_input_grad_still_fills_parameter_grads() -> None:
    rng = np.random.default_rng(2)
    layer = Conv2D("conv1", 1, 2, 3, padding=1, needs_input_grad=False)
    _, grads = bind_random(layer, rng)
    layer.forward(rng.normal(size=(1, 4, 4, 2)))
    assert layer.backward(np.ones((2, 4, 4, 2))) is None
    assert np.abs(grads["conv1.weight"]).sum() > 0
    np.testing.assert_allclose(grads["conv1.bias"], [32.0, 32.0])


@pytest.mark.parametrize("layer_factory", [AvgPool2x2, ReLU, ScaledTanh, Flatten])
def test_parameterless_layer_gradients_match_finite_differences(layer_factory: Callable[[], Layer]) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 4, 6, 2))
    x[np.abs(x) < 1e-3] = 0.5  # keep ReLU's kink out of the finite-difference step
    check_layer_gradients(layer_factory(), x, rng)


def test_maxpool_gradients_match_finite_differences_without_ties() -> None:
    rng = np.random.default_rng(4)
    check_layer_gradients(MaxPool2x2(), rng.permutation(96).reshape(2, 4, 4, 3) * 0.1, rng)


def test_linear_and_channel_bias_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(5)
    check_layer_gradients(Linear("fc", 7, 5), rng.normal(size=(7, 4)), rng)
    check_layer_gradients(ChannelBias("conv", 3), rng.normal(size=(3, 2, 2, 2)), rng)


# -- vectorised kernels against plain loops -------------------------------------------------------------------------


def test_im2col_matches_plain_loops() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 7, 6, 3))
    np.testing.assert_array_equal(im2col(x, 3), im2col_reference(x, 3))
    x = rng.normal(size=(2, 8, 10, 3))  # 4x6 output: even, as pooling needs
    np.testing.assert_array_equal(im2col_pooled(x, 5), im2col_pooled_reference(x, 5))
    padded = np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)))
    np.testing.assert_array_equal(im2col_pooled(x, 5, padding=2), im2col_pooled_reference(padded, 5))
    with pytest.raises(ValueError, match="odd kernel"):
        im2col_pooled(x, 4)
    np.testing.assert_array_equal(im2col_pooled(x, 3, padding=1), im2col_pooled_reference(padded[:, 1:-1, 1:-1], 3))


def pooled_to_plain(y: np.ndarray) -> np.ndarray:
    """(C, 2, 2, H/2, W/2, N) with pixel (2r+dh, 2s+dw) at [:, dh, dw, r, s] -> (C, H, W, N)."""
    c, _, _, hp, wp, n = y.shape
    return y.transpose(0, 3, 1, 4, 2, 5).reshape(c, 2 * hp, 2 * wp, n)


def test_pooled_output_convolution_is_a_reordering_of_the_plain_one() -> None:
    rng = np.random.default_rng(12)
    plain, pooled = Conv2D("conv", 2, 3, 5, padding=2), Conv2D("conv", 2, 3, 5, padding=2, pooled_output=True)
    params, plain_grads = bind_random(plain, rng)
    pooled_grads = {name: np.zeros_like(g) for name, g in plain_grads.items()}
    pooled.bind(params, pooled_grads)
    x = rng.normal(size=(2, 6, 8, 3))
    y = plain.forward(x).copy()
    y_pooled = pooled.forward(x)
    assert y_pooled.shape == (3, 2, 2, 3, 4, 3)
    np.testing.assert_allclose(pooled_to_plain(y_pooled), y, rtol=1e-12)
    dy = rng.normal(size=y.shape)
    dx = plain.backward(dy).copy()
    dy_pooled = np.ascontiguousarray(dy.reshape(3, 3, 2, 4, 2, 3).transpose(0, 2, 4, 1, 3, 5))
    np.testing.assert_allclose(pooled.backward(dy_pooled), dx, rtol=1e-12)
    for name in plain_grads:
        np.testing.assert_allclose(pooled_grads[name], plain_grads[name], rtol=1e-12)
    # ... and pooling reads the pooled layout as the plain one.
    for pool_cls in (MaxPool2x2, AvgPool2x2):
        plain_pool, pooled_pool = pool_cls(), pool_cls()
        np.testing.assert_array_equal(pooled_pool.forward(y_pooled), plain_pool.forward(y))
        g = rng.normal(size=(3, 3, 4, 3))
        np.testing.assert_array_equal(pooled_to_plain(pooled_pool.backward(g)), plain_pool.backward(g))


def test_layers_accumulate_gradients_unless_told_to_overwrite() -> None:
    rng = np.random.default_rng(13)
    layer = Linear("fc", 3, 2)
    _, grads = bind_random(layer, rng)
    x, dy = rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    layer.forward(x)
    layer.backward(dy)
    once = grads["fc.weight"].copy()
    layer.backward(dy)
    np.testing.assert_allclose(grads["fc.weight"], 2 * once)
    layer.accumulate_grads = False
    layer.backward(dy)
    np.testing.assert_allclose(grads["fc.weight"], once)


@pytest.mark.parametrize("padding", [0, 2])
def test_conv2d_matches_plain_loop_reference(padding: int) -> None:
    rng = np.random.default_rng(7)
    layer = Conv2D("conv", 2, 3, 5, padding=padding)
    params, grads = bind_random(layer, rng)
    x_nchw = rng.normal(size=(2, 2, 8, 9))
    y = layer.forward(to_chwn(x_nchw))
    y_ref = conv2d_forward_reference(x_nchw, params["conv.weight"], params["conv.bias"], padding)
    np.testing.assert_allclose(y, to_chwn(y_ref), rtol=1e-10, atol=1e-12)
    dy = rng.normal(size=y_ref.shape)
    dx = layer.backward(to_chwn(dy))
    dx_ref, dw_ref, db_ref = conv2d_backward_reference(x_nchw, params["conv.weight"], dy, padding)
    np.testing.assert_allclose(dx, to_chwn(dx_ref), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["conv.weight"], dw_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["conv.bias"], db_ref, rtol=1e-10, atol=1e-12)


def test_conv2d_connection_table_masks_weights_and_their_gradients() -> None:
    rng = np.random.default_rng(8)
    layer = Conv2D("conv2", 6, 16, 5, connections=C3_TABLE.T)
    params, grads = bind_random(layer, rng)
    x_nchw = rng.normal(size=(2, 6, 9, 9))
    y = layer.forward(to_chwn(x_nchw))
    masked = params["conv2.weight"] * C3_TABLE.T[:, :, None, None]
    np.testing.assert_allclose(
        y, to_chwn(conv2d_forward_reference(x_nchw, masked, params["conv2.bias"], 0)), rtol=1e-10
    )
    layer.backward(np.ones_like(y))
    assert np.all(grads["conv2.weight"][~C3_TABLE.T] == 0)
    assert np.all(grads["conv2.weight"][C3_TABLE.T] != 0)


def test_pooling_matches_plain_loop_reference() -> None:
    rng = np.random.default_rng(9)
    x = rng.normal(size=(3, 6, 4, 2))
    dy = rng.normal(size=(3, 3, 2, 2))
    for layer, reference in ((MaxPool2x2(), maxpool2x2_reference), (AvgPool2x2(), avgpool2x2_reference)):
        y_ref, dx_ref = reference(x, dy)
        np.testing.assert_array_equal(layer.forward(x), y_ref)
        np.testing.assert_allclose(layer.backward(dy), dx_ref, rtol=1e-12)


def test_maxpool_routes_tied_gradients_to_the_first_maximum_only() -> None:
    # Blank background and saturated strokes: every window below has ties, at 0 or at 1.
    x = np.array(
        [
            [0, 0, 1, 1, 0, 2],
            [0, 0, 1, 1, 2, 0],
            [0, 1, 1, 0, 5, 5],
            [1, 1, 0, 1, 5, 5],
        ],
        dtype=np.float64,
    )[None, :, :, None]
    dy = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])[None, :, :, None]
    layer = MaxPool2x2()
    np.testing.assert_array_equal(layer.forward(x)[0, :, :, 0], [[0, 1, 2], [1, 1, 5]])
    dx = layer.backward(dy)
    expected = np.zeros((4, 6))
    expected[0, 0], expected[0, 2], expected[0, 5] = 1, 2, 3
    expected[2, 1], expected[2, 2], expected[2, 4] = 4, 5, 6
    np.testing.assert_array_equal(dx[0, :, :, 0], expected)
    np.testing.assert_array_equal(dx, maxpool2x2_reference(x, dy)[1])
    assert dx.sum() == dy.sum()  # each window's gradient lands exactly once


def test_maxpool_ties_match_torch(torch_module) -> None:
    torch = torch_module
    rng = np.random.default_rng(10)
    x = rng.integers(0, 3, size=(2, 3, 8, 8)).astype(np.float64)  # three levels: ties everywhere
    dy = rng.normal(size=(2, 3, 4, 4))
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2).backward(torch.tensor(dy))
    layer = MaxPool2x2()
    np.testing.assert_array_equal(
        layer.forward(to_chwn(x)), to_chwn(torch.nn.functional.max_pool2d(xt, 2).detach().numpy())
    )
    np.testing.assert_array_equal(layer.backward(to_chwn(dy)), to_chwn(xt.grad.numpy()))


def test_layers_run_in_float32_and_keep_the_dtype() -> None:
    rng = np.random.default_rng(11)
    layer = Conv2D("conv", 1, 2, 3, padding=1)
    params = {n: rng.normal(size=s).astype(np.float32) for n, s in layer.param_shapes.items()}
    layer.bind(params, {n: np.zeros(s, np.float32) for n, s in layer.param_shapes.items()})
    y = layer.forward(rng.normal(size=(1, 4, 4, 2)).astype(np.float32))
    assert y.dtype == np.float32
    assert layer.backward(np.ones_like(y)).dtype == np.float32


def test_bad_shapes_are_rejected_with_clear_errors() -> None:
    with pytest.raises(ValueError, match="even H and W"):
        MaxPool2x2().forward(np.zeros((1, 3, 4, 1)))
    with pytest.raises(ValueError, match=r"expected \(2, H, W, N\) input"):
        layer = Conv2D("conv", 2, 1, 3)
        bind_random(layer, np.random.default_rng(0))
        layer.forward(np.zeros((3, 5, 5, 1)))
    with pytest.raises(ValueError, match="connection table"):
        Conv2D("conv", 2, 3, 3, connections=np.ones((2, 3), bool))
    with pytest.raises(RuntimeError, match="before forward"):
        ReLU().backward(np.zeros(3))
