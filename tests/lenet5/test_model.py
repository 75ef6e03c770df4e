"""LeNet5: geometry, seeding, determinism across threads, whole-network gradients, weights files."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lenet5.losses import softmax_cross_entropy
from lenet5.model import C3_TABLE, PARAM_NAMES, LeNet5, WeightsError, load_weights, preprocess, save_weights
from lenet5.parallel import BLAS_THREAD_ENVS


def synthetic_digits(n: int, seed: int) -> np.ndarray:
    """uint8 (n, 28, 28): blank background with a few saturated and grey strokes, like EMNIST."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), dtype=np.uint8)
    for image in images:
        for _ in range(3):
            r, c = rng.integers(4, 20, size=2)
            h, w = rng.integers(2, 9, size=2)
            image[r : r + h, c : c + w] = rng.choice([255, rng.integers(30, 255)])
    return images


def read_idx_gz(path: Path, count: int) -> np.ndarray:
    """The first ``count`` records of a gzipped IDX file (enough for a test; lenet5.idx is the real reader)."""
    with gzip.open(path, "rb") as f:
        header = f.read(4)
        ndim = header[3]
        dims = [int.from_bytes(f.read(4), "big") for _ in range(ndim)]
        record = int(np.prod(dims[1:])) if ndim > 1 else 1
        data = np.frombuffer(f.read(count * record), dtype=np.uint8)
    return data.reshape(count, *dims[1:])


def test_parameters_have_pytorch_names_shapes_and_dtype() -> None:
    model = LeNet5(num_classes=10)
    assert tuple(model.params) == PARAM_NAMES == tuple(model.grads)
    assert model.params["conv1.weight"].shape == (6, 1, 5, 5)
    assert model.params["conv2.weight"].shape == (16, 6, 5, 5)
    assert model.params["fc1.weight"].shape == (120, 400)
    assert model.params["fc3.weight"].shape == (10, 84)
    assert all(v.dtype == np.float32 for v in model.params.values())
    assert sum(v.size for v in model.params.values()) == 61706  # the classic LeNet-5 count for 10 classes


def test_initialisation_is_seeded_and_pytorch_like() -> None:
    a, b, c = LeNet5(seed=3), LeNet5(seed=3), LeNet5(seed=4)
    for name in PARAM_NAMES:
        np.testing.assert_array_equal(a.params[name], b.params[name])
        assert not np.array_equal(a.params[name], c.params[name])
    bound = 1 / np.sqrt(400)  # fc1: fan_in 400
    w = a.params["fc1.weight"]
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.mean()) < 0.01 * bound * 10


def test_c3_table_has_the_papers_sixty_connections() -> None:
    assert C3_TABLE.shape == (6, 16) and C3_TABLE.sum() == 60
    assert list(C3_TABLE.sum(axis=0)) == [3] * 6 + [4] * 9 + [6]
    model = LeNet5(variant="classic", c3_table=True)
    w = model.params["conv2.weight"]
    assert np.count_nonzero(w) + 16 == 1516  # trainable C3 parameters in the paper
    x = preprocess(synthetic_digits(8, 0))
    model.backward(softmax_cross_entropy(model.forward(x), np.arange(8))[1])
    assert np.all(model.grads["conv2.weight"][~C3_TABLE.T] == 0)


def test_config_rebuilds_an_identical_model() -> None:
    model = LeNet5(num_classes=26, variant="classic", c3_table=True, seed=9)
    assert model.config() == {"num_classes": 26, "variant": "classic", "c3_table": True, "seed": 9}
    clone = LeNet5(**model.config())
    x = preprocess(synthetic_digits(4, 1))
    np.testing.assert_array_equal(model.forward(x, train=False), clone.forward(x, train=False))


def test_preprocess_scales_uint8_images_to_the_symmetric_range() -> None:
    images = synthetic_digits(5, 2)
    x = preprocess(images)
    assert x.shape == (5, 1, 28, 28) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, 0], images / 127.5 - 1.0, rtol=1e-6, atol=1e-6)
    extremes = preprocess(np.array([[[0] * 28] * 28, [[255] * 28] * 28], dtype=np.uint8))
    assert extremes[0].max() == -1.0 and extremes[1].min() == 1.0  # background -1, ink +1
    with pytest.raises(ValueError, match="uint8"):
        preprocess(images.astype(np.float32))
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        preprocess(images[:, :27])


@pytest.mark.parametrize(("variant", "c3_table"), [("modern", False), ("classic", False), ("classic", True)])
def test_whole_network_gradients_match_finite_differences(variant: str, c3_table: bool) -> None:
    model = LeNet5(num_classes=5, variant=variant, c3_table=c3_table, seed=1, dtype=np.float64)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(3, 1, 28, 28))
    labels = np.array([0, 3, 4])
    model.backward(softmax_cross_entropy(model.forward(x), labels)[1])
    eps = 1e-6
    in_table = np.broadcast_to(C3_TABLE.T[:, :, None, None], (16, 6, 5, 5)).reshape(-1) if c3_table else None
    for name in PARAM_NAMES:
        param = model.params[name].reshape(-1)
        grad = model.grads[name].reshape(-1)
        for index in rng.choice(param.size, size=min(4, param.size), replace=False):
            if in_table is not None and name == "conv2.weight" and not in_table[index]:
                assert grad[index] == 0
                continue
            saved = param[index]
            param[index] = saved + eps
            up = softmax_cross_entropy(model.forward(x, train=False), labels)[0]
            param[index] = saved - eps
            down = softmax_cross_entropy(model.forward(x, train=False), labels)[0]
            param[index] = saved
            assert grad[index] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-9), (name, index)


def test_results_do_not_depend_on_the_thread_count() -> None:
    x = preprocess(synthetic_digits(37, 3))  # odd size: uneven shards
    labels = np.arange(37) % 47
    outputs = []
    for threads in (1, 2, 3):
        model = LeNet5(seed=5, threads=threads)
        logits = model.forward(x)
        model.backward(softmax_cross_entropy(logits, labels)[1])
        outputs.append((logits, model.state_dict(), {k: v.copy() for k, v in model.grads.items()}))
    for logits, _, grads in outputs[1:]:
        np.testing.assert_array_equal(logits, outputs[0][0])
        for name in PARAM_NAMES:
            np.testing.assert_array_equal(grads[name], outputs[0][2][name])


def test_backward_overwrites_gradients_and_needs_a_training_forward() -> None:
    model = LeNet5(seed=0)
    x = preprocess(synthetic_digits(16, 4))
    labels = np.arange(16)
    with pytest.raises(RuntimeError, match="forward"):
        model.backward(np.zeros((16, 47), np.float32))
    dlogits = softmax_cross_entropy(model.forward(x), labels)[1]
    model.backward(dlogits)
    first = model.flat_grads.copy()
    model.forward(x)
    model.backward(dlogits)
    np.testing.assert_array_equal(model.flat_grads, first)  # not accumulated across calls
    with pytest.raises(ValueError, match="dlogits"):
        model.backward(dlogits[:3])
    model.forward(x, train=False)
    with pytest.raises(RuntimeError, match="train=True"):
        model.backward(dlogits)


def test_forward_validates_its_input() -> None:
    model = LeNet5()
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        model.forward(np.zeros((2, 28, 28), np.float32))
    with pytest.raises(ValueError, match="floating"):
        model.forward(np.zeros((2, 1, 28, 28), np.uint8))


def test_predict_proba_is_the_softmax_of_the_logits_in_any_batch_size() -> None:
    model = LeNet5(num_classes=10, seed=2)
    x = preprocess(synthetic_digits(150, 5))
    probs = model.predict_proba(x, batch_size=64)
    assert probs.shape == (150, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(probs, model.predict_proba(x, batch_size=256), rtol=1e-5, atol=1e-7)
    logits = model.forward(x, train=False)
    expected = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(probs, expected / expected.sum(1, keepdims=True), rtol=1e-5, atol=1e-7)


def test_weights_round_trip_through_npz(tmp_path: Path) -> None:
    model = LeNet5(num_classes=10, variant="classic", seed=6)
    path = save_weights(model, tmp_path / "run" / "lenet5.npz")
    assert sorted(p.name for p in path.parent.iterdir()) == ["lenet5.npz"]  # no temp file left behind
    state = load_weights(path)
    assert tuple(state) == PARAM_NAMES and all(v.dtype == np.float32 for v in state.values())
    other = LeNet5(num_classes=10, variant="classic", seed=7)
    other.load_state_dict(state)
    x = preprocess(synthetic_digits(4, 6))
    np.testing.assert_array_equal(other.forward(x, train=False), model.forward(x, train=False))


def test_bad_weights_files_give_one_line_errors_naming_the_file(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip archive")
    with pytest.raises(WeightsError, match="garbage.npz"):
        load_weights(garbage)
    with pytest.raises(WeightsError, match="no such file"):
        load_weights(tmp_path / "missing.npz")
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, **{name: np.array([object()]) for name in PARAM_NAMES})
    with pytest.raises(WeightsError, match="pickled.npz"):
        load_weights(pickled)
    partial = tmp_path / "partial.npz"
    np.savez(partial, **{"conv1.weight": np.zeros((6, 1, 5, 5), np.float32)})
    with pytest.raises(WeightsError, match="missing conv1.bias"):
        load_weights(partial)


def test_load_state_dict_lists_every_mismatch() -> None:
    model = LeNet5(num_classes=47)
    state = LeNet5(num_classes=10).state_dict()
    state["extra.weight"] = np.zeros(3)
    del state["fc2.bias"]
    with pytest.raises(ValueError) as excinfo:
        model.load_state_dict(state)
    message = str(excinfo.value)
    assert "missing fc2.bias" in message and "unexpected extra.weight" in message
    assert "fc3.weight has shape (10, 84), expected (47, 84)" in message


def test_adam_training_learns_fashion_mnist(fashion_mnist_dir: Path) -> None:
    images = read_idx_gz(fashion_mnist_dir / "train-images-idx3-ubyte.gz", 2560)
    labels = read_idx_gz(fashion_mnist_dir / "train-labels-idx1-ubyte.gz", 2560).astype(np.int64)
    from lenet5.optim import Adam

    model = LeNet5(num_classes=10, seed=0)
    optimizer = Adam(model.params)
    x = preprocess(images)
    before = softmax_cross_entropy(model.forward(x[2048:], train=False), labels[2048:])[0]
    for _ in range(3):
        for lo in range(0, 2048, 32):
            _, dlogits = softmax_cross_entropy(model.forward(x[lo : lo + 32]), labels[lo : lo + 32])
            model.backward(dlogits)
            optimizer.step(model.grads)
    held_out = model.predict_proba(x[2048:]).argmax(axis=1)
    after = softmax_cross_entropy(model.forward(x[2048:], train=False), labels[2048:])[0]
    assert after < before - 1.0
    assert (held_out == labels[2048:]).mean() > 0.65  # chance is 0.1


def _blas_threads_after_model(env_overrides: dict[str, str]) -> int:
    """OpenBLAS's thread count in a fresh process that created a LeNet5 (pinning is process-wide, so not in-process)."""
    code = (
        "import ctypes\n"
        "from lenet5.model import LeNet5\n"
        "from lenet5.parallel import _loaded_openblas_paths\n"
        "LeNet5()\n"
        "print(ctypes.CDLL(_loaded_openblas_paths()[0]).scipy_openblas_get_num_threads64_())\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_ENVS}
    env.update(env_overrides)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return int(done.stdout.strip())


def test_model_pins_openblas_to_one_thread_unless_the_user_chose() -> None:
    from lenet5.parallel import _loaded_openblas_paths

    if not any("scipy_openblas" in Path(p).name for p in _loaded_openblas_paths()):
        pytest.skip("numpy is not linked against its bundled scipy-openblas here")
    assert _blas_threads_after_model({}) == 1
    assert _blas_threads_after_model({"OPENBLAS_NUM_THREADS": "2"}) == 2


def test_thread_count_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENET5_THREADS", "3")
    assert LeNet5().threads == 3
    assert LeNet5(threads=1).threads == 1
    monkeypatch.setenv("LENET5_THREADS", "zero")
    with pytest.raises(ValueError, match="LENET5_THREADS"):
        LeNet5()
