"""Adam and SGD against torch.optim, the flat fast path against the per-array path, resuming, schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lenet5.model import LeNet5
from lenet5.optim import SGD, Adam, make_schedule

SHAPES = {"a.weight": (4, 3), "a.bias": (4,), "b.weight": (2, 4)}


def random_params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {name: rng.normal(size=shape).astype(np.float32) for name, shape in SHAPES.items()}


def gradient_sequence(rng: np.random.Generator, steps: int) -> list[dict[str, np.ndarray]]:
    return [{n: rng.normal(size=s).astype(np.float32) for n, s in SHAPES.items()} for _ in range(steps)]


def run_torch(torch, params, grads_seq, optimizer_factory):
    tensors = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    optimizer = optimizer_factory(list(tensors.values()))
    for grads in grads_seq:
        for name, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[name])
        optimizer.step()
    return {name: tensor.detach().numpy() for name, tensor in tensors.items()}


def run_numpy(params, grads_seq, optimizer_factory):
    params = {name: value.copy() for name, value in params.items()}
    optimizer = optimizer_factory(params)
    for grads in grads_seq:
        optimizer.step(grads)
    return params


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
@pytest.mark.parametrize("lr", [1e-3, 0.05])
def test_adam_matches_torch(torch_module, lr: float, weight_decay: float) -> None:
    rng = np.random.default_rng(0)
    params, grads_seq = random_params(rng), gradient_sequence(rng, 20)
    expected = run_torch(
        torch_module, params, grads_seq, lambda p: torch_module.optim.Adam(p, lr=lr, weight_decay=weight_decay)
    )
    got = run_numpy(params, grads_seq, lambda p: Adam(p, lr=lr, weight_decay=weight_decay))
    for name in SHAPES:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-6, atol=1e-7)
        assert not np.allclose(got[name], params[name])


@pytest.mark.parametrize(
    ("momentum", "nesterov", "weight_decay"),
    [(0.0, False, 0.0), (0.9, False, 0.0), (0.9, True, 5e-4), (0.5, False, 1e-2)],
)
def test_sgd_matches_torch(torch_module, momentum: float, nesterov: bool, weight_decay: float) -> None:
    rng = np.random.default_rng(1)
    params, grads_seq = random_params(rng), gradient_sequence(rng, 20)

    def torch_sgd(p):
        return torch_module.optim.SGD(p, lr=0.05, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)

    expected = run_torch(torch_module, params, grads_seq, torch_sgd)
    got = run_numpy(params, grads_seq, lambda p: SGD(p, 0.05, momentum, nesterov, weight_decay))
    for name in SHAPES:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("optimizer_factory", [lambda p: Adam(p, lr=0.01), lambda p: SGD(p, 0.1, momentum=0.9)])
def test_flat_fast_path_equals_the_per_array_path(optimizer_factory) -> None:
    model = LeNet5(num_classes=10, seed=0)
    separate = {name: value.copy() for name, value in model.params.items()}  # not views of one array
    fast, slow = optimizer_factory(model.params), optimizer_factory(separate)
    assert fast._flat_params is not None and slow._flat_params is None
    rng = np.random.default_rng(2)
    for _ in range(5):
        model.flat_grads[...] = rng.normal(size=model.flat_grads.shape)
        fast.step(model.grads)
        slow.step({name: g.copy() for name, g in model.grads.items()})
    assert fast._flat_grads is model.flat_grads
    for name, value in model.params.items():
        np.testing.assert_array_equal(value, separate[name])


@pytest.mark.parametrize("optimizer_cls", [Adam, SGD])
def test_resuming_from_state_dict_is_bit_identical(optimizer_cls) -> None:
    rng = np.random.default_rng(3)
    params, grads_seq = random_params(rng), gradient_sequence(rng, 10)
    kwargs = {"lr": 0.01} if optimizer_cls is Adam else {"lr": 0.01, "momentum": 0.9}
    straight = run_numpy(params, grads_seq, lambda p: optimizer_cls(p, **kwargs))

    first = {name: value.copy() for name, value in params.items()}
    optimizer = optimizer_cls(first, **kwargs)
    for grads in grads_seq[:6]:
        optimizer.step(grads)
    # Through an npz-like round trip: every value an array, the step a 0-d array.
    saved = {key: np.asarray(value) for key, value in optimizer.state_dict().items()}
    resumed_params = {name: value.copy() for name, value in first.items()}
    resumed = optimizer_cls(resumed_params, **kwargs)
    resumed.load_state_dict(saved)
    assert resumed.step_count == 6
    for grads in grads_seq[6:]:
        resumed.step(grads)
    for name in SHAPES:
        np.testing.assert_array_equal(resumed_params[name], straight[name])


def test_state_dict_mismatches_and_bad_hyperparameters_are_reported() -> None:
    params = random_params(np.random.default_rng(4))
    state = Adam(params).state_dict()
    del state["exp_avg.a.bias"]
    with pytest.raises(ValueError, match="missing exp_avg.a.bias"):
        Adam(params).load_state_dict(state)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD(params, 0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        Adam(params, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="grads lack"):
        Adam(params).step({})


def test_lr_is_settable_between_steps() -> None:
    params = {"w": np.ones(3, np.float32)}
    optimizer = SGD(params, lr=0.1)
    optimizer.step({"w": np.ones(3, np.float32)})
    optimizer.lr = 0.5
    optimizer.step({"w": np.ones(3, np.float32)})
    np.testing.assert_allclose(params["w"], 1 - 0.1 - 0.5)


def test_schedules() -> None:
    constant = make_schedule(None, 0.1, epochs=3, steps_per_epoch=10)
    assert constant(0) == constant(29) == 0.1
    step = make_schedule("step", 0.1, epochs=9, steps_per_epoch=10)
    assert [step(s) for s in (0, 29, 30, 59, 60, 89)] == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])
    cosine = make_schedule("cosine", 0.1, epochs=2, steps_per_epoch=50)
    assert cosine(0) == pytest.approx(0.1) and cosine(50) == pytest.approx(0.05) and cosine(100) == pytest.approx(0)
    assert all(cosine(s) > cosine(s + 1) for s in range(100))
    with pytest.raises(ValueError, match="unknown schedule"):
        make_schedule("linear", 0.1, 1, 1)


def test_schedules_match_torch_schedulers(torch_module) -> None:
    torch = torch_module
    epochs, steps_per_epoch = 6, 7
    for name in ("step", "cosine"):
        weight = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([weight], lr=0.1)
        if name == "step":
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2 * steps_per_epoch, gamma=0.1)
        else:
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch)
        lr_at = make_schedule(name, 0.1, epochs, steps_per_epoch)
        for s in range(epochs * steps_per_epoch):
            assert lr_at(s) == pytest.approx(optimizer.param_groups[0]["lr"], rel=1e-9, abs=1e-12), (name, s)
            optimizer.step()
            scheduler.step()
    assert math.isclose(make_schedule("cosine", 1.0, 1, 4)(2), 0.5)


def test_splitting_the_update_across_threads_changes_no_bit() -> None:
    rng = np.random.default_rng(5)
    models = [LeNet5(num_classes=47, seed=1) for _ in range(2)]
    optimizers = [Adam(models[0].params, lr=0.01, threads=1), Adam(models[1].params, lr=0.01, threads=2)]
    assert len(optimizers[1]._chunks) == 2
    for _ in range(3):
        grads = rng.normal(size=models[0].flat_grads.shape).astype(np.float32)
        for model, optimizer in zip(models, optimizers):
            model.flat_grads[...] = grads
            optimizer.step(model.grads)
    np.testing.assert_array_equal(models[0].flat_params, models[1].flat_params)
