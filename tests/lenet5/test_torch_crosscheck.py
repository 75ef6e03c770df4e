"""The whole network against PyTorch autograd on identical weights: logits, loss and every gradient."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from lenet5.losses import softmax_cross_entropy
from lenet5.model import PARAM_NAMES, LeNet5, load_weights, preprocess, save_weights
from tests.lenet5.test_model import synthetic_digits

TORCH_REFERENCE = Path(__file__).resolve().parents[2] / "benchmarks" / "_lenet5_speed_torch.py"
CONFIGS = [("modern", False), ("modern", True), ("classic", False), ("classic", True)]


@pytest.fixture(scope="module")
def reference(torch_module) -> ModuleType:
    """benchmarks/_lenet5_speed_torch.py: the PyTorch LeNet-5 the benchmark also runs."""
    spec = importlib.util.spec_from_file_location("_lenet5_speed_torch", TORCH_REFERENCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def torch_loss_and_grads(torch, torch_model, x: np.ndarray, labels: np.ndarray):
    torch_model.zero_grad()
    logits = torch_model(torch.from_numpy(x))
    loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels))
    loss.backward()
    grads = {name: p.grad.numpy() for name, p in torch_model.named_parameters()}
    return logits.detach().numpy(), float(loss.detach()), grads


@pytest.mark.parametrize(("variant", "c3_table"), CONFIGS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_and_gradients_match_pytorch(torch_module, reference, variant, c3_table, dtype) -> None:
    torch = torch_module
    model = LeNet5(num_classes=47, variant=variant, c3_table=c3_table, seed=11, dtype=dtype)
    torch_model = reference.from_numpy_state(model.state_dict(), 47, variant, c3_table)
    # Blank backgrounds: max-pool windows full of ties, which must route gradients exactly like PyTorch.
    x = preprocess(synthetic_digits(24, 12)).astype(dtype)
    labels = np.random.default_rng(13).integers(0, 47, size=24)

    logits = model.forward(x)
    loss, dlogits = softmax_cross_entropy(logits, labels)
    model.backward(dlogits)
    t_logits, t_loss, t_grads = torch_loss_and_grads(torch, torch_model, x, labels)

    rtol, atol = (1e-10, 1e-12) if dtype == np.float64 else (2e-4, 2e-6)
    np.testing.assert_allclose(logits, t_logits, rtol=rtol, atol=atol)
    assert loss == pytest.approx(t_loss, rel=rtol * 10)
    for name in PARAM_NAMES:
        scale = np.abs(t_grads[name]).max()
        np.testing.assert_allclose(model.grads[name], t_grads[name], rtol=rtol, atol=atol + rtol * scale, err_msg=name)


def test_conv1_bias_gradient_on_a_blank_image_matches_pytorch(torch_module, reference) -> None:
    """A blank image makes every C1 window a four-way tie: only the first maximum may pass the gradient back."""
    torch = torch_module
    model = LeNet5(num_classes=10, seed=3, dtype=np.float64)
    model.params["conv1.bias"][...] = np.abs(model.params["conv1.bias"]) + 0.1  # ties at a positive value
    torch_model = reference.from_numpy_state(model.state_dict(), 10, "modern", False)
    x = np.zeros((2, 1, 28, 28))
    x[1, 0, 10:14, 12:20] = 1.0
    labels = np.array([3, 7])
    model.backward(softmax_cross_entropy(model.forward(x), labels)[1])
    _, _, t_grads = torch_loss_and_grads(torch, torch_model, x, labels)
    np.testing.assert_allclose(model.grads["conv1.bias"], t_grads["conv1.bias"], rtol=1e-10)
    np.testing.assert_allclose(model.grads["conv1.weight"], t_grads["conv1.weight"], rtol=1e-10, atol=1e-14)


def test_saved_weights_load_into_pytorch_with_identical_predictions(torch_module, reference, tmp_path) -> None:
    torch = torch_module
    model = LeNet5(num_classes=26, variant="classic", seed=4)
    path = save_weights(model, tmp_path / "lenet5.npz")
    torch_model = reference.TorchLeNet5(26, "classic")
    torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in np.load(path, allow_pickle=False).items()})
    x = preprocess(synthetic_digits(16, 5))
    with torch.no_grad():
        expected = torch.softmax(torch_model(torch.from_numpy(x)), dim=1).numpy()
    np.testing.assert_allclose(model.predict_proba(x), expected, rtol=1e-4, atol=1e-6)
    # ... and back: PyTorch's state_dict loads into the numpy model.
    again = LeNet5(num_classes=26, variant="classic", seed=99)
    again.load_state_dict({k: v.numpy() for k, v in torch_model.state_dict().items()})
    assert all(np.array_equal(again.params[n], load_weights(path)[n]) for n in PARAM_NAMES)
