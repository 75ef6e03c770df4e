"""LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998) in numpy, with weights interchangeable with PyTorch.

Geometry, as in the paper: 32x32 input (here a 28x28 image zero-padded by conv1's ``padding=2``), C1 6@5x5 -> 2x2 pool
-> C3 16@5x5 -> 2x2 pool -> 120 -> 84 -> ``num_classes``.

Variants:

- ``modern`` (default): ReLU and max pooling. The forward pass computes conv -> max-pool -> bias -> ReLU, which equals
  PyTorch's conv(+bias) -> ReLU -> max-pool in value and gradient (max pooling commutes with a per-channel constant
  and with ReLU, ties included) at a quarter of the elementwise work.
- ``classic``: LeCun's scaled tanh ``1.7159 tanh(2x/3)`` and 2x2 average pooling, and with ``c3_table=True`` the
  paper's Table I partial connections between S2 and C3 (60 of the 96 map pairs; 1,516 trainable C3 parameters).

Deviations from the paper, all deliberate:

- Output and loss: a linear layer with softmax cross-entropy instead of the Euclidean RBF output units with fixed
  ASCII-bitmap centres and the MAP criterion. The F6 layer keeps its 84 units.
- Subsampling layers S2/S4 are plain 2x2 pooling, without the paper's trainable coefficient and bias per map.
- C5 is a fully connected 400 -> 120 layer (``fc1``), which is what a 5x5 convolution over a 5x5 map is.
- Input: 28x28 images zero-padded to 32x32 inside conv1, instead of pre-padded 32x32 images. Pixel values are
  scaled to [-1, 1] (background -1, ink 1): zero-centred, as the paper's [-0.1, 1.175] normalisation intends ("mean
  input roughly 0, variance roughly 1"), so the zero padding sits between background and ink. Measured on
  Fashion-MNIST (median of seeds 0-2, seed configuration): [0, 1] 89.81%, the paper's mapping 90.06%, [-1, 1]
  90.21% (notes/analysis-input-scaling.md).
- Training: Adam (lr 0.001) by default, or SGD with momentum (:mod:`lenet5.optim`), instead of stochastic
  diagonal Levenberg-Marquardt.
- Initialisation: PyTorch's default for ``Conv2d``/``Linear`` -- every weight and bias uniform in
  ``+-1/sqrt(fan_in)`` (Kaiming-uniform with a = sqrt(5)) -- drawn from ``numpy.random.default_rng(seed)`` in
  state_dict order, instead of the paper's ``+-2.4/fan_in``. C3 weights outside the connection table start at 0 (they
  are masked out of every forward and backward pass anyway); fan_in is the full 150, as for a masked PyTorch conv.

Speed (how it gets there: :mod:`lenet5.layers` for the kernels):

- Activations keep the batch innermost, ``(C, H, W, N)``, so every copy and elementwise step moves long contiguous
  runs, each convolution is one BLAS GEMM with the weight in PyTorch's layout, and flattening is free.
- conv1 writes its output as four planes, one per 2x2 pooling-window position, so max pooling and its first-maximum
  backward pass work on contiguous planes; conv biases are added after max pooling (a quarter of the work).
- Buffers, and strided views into them, are allocated once per batch shape; parameters and gradients are views into
  one flat array each, so the optimizer updates all of them in a handful of vectorised operations.
- Threads: a training batch is split into two shards that run on :func:`lenet5.parallel.shared_pool` (numpy
  releases the GIL inside its loops); each shard has its own layer instances, buffers and gradient arrays, and the
  shard gradients are summed in shard order, so a run is bit-identical for a given seed whatever the thread count.
  Inference spreads 32-image chunks over the threads. The thread count is the ``threads`` argument, else
  ``$LENET5_THREADS``, else ``min(2, os.cpu_count())``.
- Memory: the buffers a training step needs stay allocated for the next step of the same shape, about 0.34 MB per
  image of the batch (11 MB at batch 32, 174 MB at batch 512); inference works in 32-image chunks (~7 MB a thread).
- Creating a model pins numpy's OpenBLAS to one thread per call unless ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS``
  is set (see :func:`lenet5.parallel.pin_blas_threads`): a second BLAS thread buys nothing at these matrix sizes
  and its spinning starves the shard threads.
"""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from lenet5.layers import AvgPool2x2, ChannelBias, Conv2D, Flatten, Layer, Linear, MaxPool2x2, ReLU, ScaledTanh
from lenet5.losses import softmax
from lenet5.parallel import default_threads, pin_blas_threads, shared_pool

logger = logging.getLogger(__name__)

VARIANTS = ("modern", "classic")
IMAGE_SIZE = 28
PARAM_NAMES = (
    "conv1.weight",
    "conv1.bias",
    "conv2.weight",
    "conv2.bias",
    "fc1.weight",
    "fc1.bias",
    "fc2.weight",
    "fc2.bias",
    "fc3.weight",
    "fc3.bias",
)

# Table I of the paper: which S2 maps (rows, 0-5) feed each C3 map (columns, 0-15).
C3_TABLE = np.array(
    [
        [1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1],
        [1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1],
        [1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1],
        [0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1, 1],
        [0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1],
        [0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1],
    ],
    dtype=bool,
)

# Training batches are cut into this many shards (fewer for tiny batches) whatever the thread count, so that results
# never depend on it. Two matches the machines this targets; more shards would only add overhead on two cores.
TRAIN_SHARDS = 2
MIN_SHARD_ROWS = 4
# Inference needs no gradient sum, so it uses cache-friendly chunks spread over all threads.
INFER_CHUNK_ROWS = 32


class WeightsError(ValueError):
    """A weights file that cannot be read or does not fit the model (one-line message naming the file)."""


def preprocess(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, 28, 28) -> float32 network input (N, 1, 28, 28) scaled to [-1, 1] (0 -> -1, 255 -> 1)."""
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"expected images of shape (N, 28, 28), got {images.shape}")
    if images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images, got dtype {images.dtype}")
    out = np.empty((images.shape[0], 1, IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    np.multiply(images[:, None], np.float32(2 / 255), out=out)
    out -= np.float32(1)
    return out


def build_layers(num_classes: int, variant: str, c3_table: bool) -> list[Layer]:
    """The layer stack for one shard: (1, 28, 28, N) images in, (num_classes, N) logits out (batch innermost)."""
    connections = C3_TABLE.T if c3_table else None  # Conv2D wants (out, in)
    if variant == "modern":
        return [
            Conv2D("conv1", 1, 6, 5, padding=2, bias=False, needs_input_grad=False, pooled_output=True),
            MaxPool2x2(),
            ChannelBias("conv1", 6),
            ReLU(),
            Conv2D("conv2", 6, 16, 5, bias=False, connections=connections),
            MaxPool2x2(),
            ChannelBias("conv2", 16),
            ReLU(),
            Flatten(),
            Linear("fc1", 400, 120),
            ReLU(),
            Linear("fc2", 120, 84),
            ReLU(),
            Linear("fc3", 84, num_classes),
        ]
    if variant == "classic":
        return [
            Conv2D("conv1", 1, 6, 5, padding=2, needs_input_grad=False, pooled_output=True),
            ScaledTanh(),
            AvgPool2x2(),
            Conv2D("conv2", 6, 16, 5, connections=connections),
            ScaledTanh(),
            AvgPool2x2(),
            Flatten(),
            Linear("fc1", 400, 120),
            ScaledTanh(),
            Linear("fc2", 120, 84),
            ScaledTanh(),
            Linear("fc3", 84, num_classes),
        ]
    raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")


def param_shapes(num_classes: int) -> dict[str, tuple[int, ...]]:
    """state_dict name -> shape, in state_dict order."""
    return {
        "conv1.weight": (6, 1, 5, 5),
        "conv1.bias": (6,),
        "conv2.weight": (16, 6, 5, 5),
        "conv2.bias": (16,),
        "fc1.weight": (120, 400),
        "fc1.bias": (120,),
        "fc2.weight": (84, 120),
        "fc2.bias": (84,),
        "fc3.weight": (num_classes, 84),
        "fc3.bias": (num_classes,),
    }


def _views(flat: np.ndarray, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """Named views into consecutive slices of ``flat``."""
    views, offset = {}, 0
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        views[name] = flat[offset : offset + size].reshape(shape)
        offset += size
    return views


def _split(n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous, nearly equal row ranges covering ``range(n)``."""
    bounds = [n * k // parts for k in range(parts + 1)]
    return list(itertools.pairwise(bounds))


class LeNet5:
    """LeNet-5 with ``params``/``grads`` keyed by PyTorch state_dict names (views into two flat arrays).

    ``forward(x (N, 1, 28, 28)) -> logits (N, num_classes)``; ``backward(dlogits)`` overwrites ``grads`` with the
    gradient of the loss whose gradient w.r.t. the logits is ``dlogits``. ``threads`` changes speed, never results.
    """

    def __init__(
        self,
        num_classes: int = 47,
        variant: str = "modern",
        c3_table: bool = False,
        seed: int = 0,
        *,
        threads: int | None = None,
        dtype: np.dtype | type = np.float32,
    ) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
        if int(num_classes) < 2:
            raise ValueError(f"num_classes must be at least 2, got {num_classes}")
        self.num_classes = int(num_classes)
        self.variant = variant
        self.c3_table = bool(c3_table)
        self.seed = int(seed)
        self.dtype = np.dtype(dtype)
        self.threads = default_threads() if threads is None else int(threads)
        pin_blas_threads(1)
        self._pool = shared_pool(self.threads)

        shapes = param_shapes(self.num_classes)
        total = sum(int(np.prod(s)) for s in shapes.values())
        # One flat array each for parameters and gradients: the optimizer updates everything in a few vector ops.
        self.flat_params = np.zeros(total, dtype=self.dtype)
        self.params: dict[str, np.ndarray] = _views(self.flat_params, shapes)
        self.flat_grads = np.zeros(total, dtype=self.dtype)
        self.grads: dict[str, np.ndarray] = _views(self.flat_grads, shapes)

        # One layer stack per shard/thread; stack 0 writes straight into self.grads, the others into their own arrays.
        n_stacks = max(TRAIN_SHARDS, self.threads)
        self._stack_flat_grads = [self.flat_grads] + [np.zeros(total, self.dtype) for _ in range(n_stacks - 1)]
        self._stacks: list[list[Layer]] = []
        for flat in self._stack_flat_grads:
            stack = build_layers(self.num_classes, variant, self.c3_table)
            grads = _views(flat, shapes)
            for layer in stack:
                layer.bind(self.params, grads)
                layer.accumulate_grads = False  # every backward rewrites every gradient: no zeroing, no extra pass
            self._stacks.append(stack)
        self._train_ranges: list[tuple[int, int]] | None = None
        self._initialise()

    def _initialise(self) -> None:
        rng = np.random.default_rng(self.seed)
        for name, value in self.params.items():
            layer = name.split(".")[0]
            fan_in = int(np.prod(self.params[f"{layer}.weight"].shape[1:]))
            bound = 1.0 / np.sqrt(fan_in)
            value[...] = rng.uniform(-bound, bound, size=value.shape)
        if self.c3_table:
            self.params["conv2.weight"][~C3_TABLE.T] = 0

    def config(self) -> dict[str, object]:
        """What it takes to rebuild this model: ``LeNet5(**model.config())``."""
        return {"num_classes": self.num_classes, "variant": self.variant, "c3_table": self.c3_table, "seed": self.seed}

    # -- forward / backward -------------------------------------------------------------------------------------------

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim != 4 or x.shape[1:] != (1, IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"expected input of shape (N, 1, 28, 28), got {x.shape}")
        if x.shape[0] == 0:
            raise ValueError("expected at least one image, got an empty batch")
        if not np.issubdtype(x.dtype, np.floating):
            raise ValueError(f"expected floating-point input (see lenet5.model.preprocess), got dtype {x.dtype}")
        return np.asarray(x, dtype=self.dtype)

    @staticmethod
    def _run_stack(stack: list[Layer], x: np.ndarray, logits: np.ndarray) -> None:
        h = x.transpose(1, 2, 3, 0)  # (N, 1, H, W) -> batch-innermost (1, H, W, N): a view; conv1 copies it once
        for layer in stack:
            h = layer.forward(h)
        logits[...] = h.T  # (num_classes, N) -> (N, num_classes)

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        """``x`` float (N, 1, 28, 28) -> logits (N, num_classes), a fresh array. ``train=True`` prepares ``backward``."""
        x = self._check_input(x)
        n = x.shape[0]
        logits = np.empty((n, self.num_classes), dtype=self.dtype)
        if train:
            ranges = _split(n, TRAIN_SHARDS if n >= TRAIN_SHARDS * MIN_SHARD_ROWS else 1)

            def train_shard(k: int, slot: int) -> None:
                lo, hi = ranges[k]  # shard k always uses stack k: backward needs the caches this forward leaves
                self._run_stack(self._stacks[k], x[lo:hi], logits[lo:hi])

            self._pool.run(train_shard, len(ranges))
            self._train_ranges = ranges
            return logits

        self._train_ranges = None  # the stacks' caches now belong to this inference pass
        chunks = _split(n, -(-n // INFER_CHUNK_ROWS))

        def infer(k: int, slot: int) -> None:
            lo, hi = chunks[k]
            self._run_stack(self._stacks[slot], x[lo:hi], logits[lo:hi])

        self._pool.run(infer, len(chunks))
        return logits

    def backward(self, dlogits: np.ndarray) -> None:
        """Fill ``grads`` from ``dlogits`` (N, num_classes), the loss gradient for the last ``forward(train=True)``."""
        ranges = self._train_ranges
        if ranges is None:
            raise RuntimeError("backward() needs a preceding forward(x, train=True)")
        dlogits = np.asarray(dlogits, dtype=self.dtype)
        if dlogits.shape != (ranges[-1][1], self.num_classes):
            raise ValueError(f"expected dlogits of shape {(ranges[-1][1], self.num_classes)}, got {dlogits.shape}")

        def backward_shard(k: int, slot: int) -> None:
            lo, hi = ranges[k]
            g: np.ndarray | None = np.ascontiguousarray(dlogits[lo:hi].T)  # the layers want (num_classes, N)
            for layer in reversed(self._stacks[k]):
                assert g is not None  # only the first layer returns None
                g = layer.backward(g)

        self._pool.run(backward_shard, len(ranges))
        for k in range(1, len(ranges)):  # fixed order: bit-identical whatever ran where
            self.flat_grads += self._stack_flat_grads[k]

    def predict_proba(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Class probabilities (N, num_classes) for ``x`` (N, 1, 28, 28), ``batch_size`` images at a time."""
        x = self._check_input(x)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        out = np.empty((x.shape[0], self.num_classes), dtype=self.dtype)
        for lo in range(0, x.shape[0], batch_size):
            out[lo : lo + batch_size] = softmax(self.forward(x[lo : lo + batch_size], train=False))
        return out

    # -- state --------------------------------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters, PyTorch names and layouts (``torch_model.load_state_dict`` accepts them)."""
        return {name: value.copy() for name, value in self.params.items()}

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy ``state`` into the parameters after checking every name and shape (ValueError listing mismatches)."""
        expected = {name: value.shape for name, value in self.params.items()}
        problems = []
        missing = [name for name in expected if name not in state]
        unexpected = [name for name in state if name not in expected]
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unexpected:
            problems.append(f"unexpected {', '.join(sorted(unexpected))}")
        for name, shape in expected.items():
            if name in state:
                value = np.asarray(state[name])
                if value.shape != shape:
                    problems.append(f"{name} has shape {value.shape}, expected {shape}")
                elif not (np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)):
                    problems.append(f"{name} has non-numeric dtype {value.dtype}")
        if problems:
            raise ValueError("state dict does not fit this LeNet5: " + "; ".join(problems))
        for name in expected:
            self.params[name][...] = np.asarray(state[name], dtype=self.dtype)


def save_weights(model: LeNet5, path: str | Path) -> Path:
    """Write ``model``'s state_dict to ``path`` (``lenet5.npz``) atomically: a temp file, then ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {name: value.astype(np.float32) for name, value in model.state_dict().items()}
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **state)  # type: ignore[arg-type]  # numpy's stub types **kwds oddly
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    logger.info("wrote %s", path)
    return path


def load_weights(path: str | Path) -> dict[str, np.ndarray]:
    """Read a ``lenet5.npz`` state_dict (no pickles); :class:`WeightsError` naming the file when it is not one."""
    path = Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise WeightsError(f"{path}: not an .npz archive")
        with archive:
            state = {name: archive[name] for name in archive.files}
    except WeightsError:
        raise
    except FileNotFoundError:
        raise WeightsError(f"{path}: no such file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise WeightsError(f"{path}: not a readable weights archive ({exc})") from None
    missing = [name for name in PARAM_NAMES if name not in state]
    if missing:
        raise WeightsError(f"{path}: missing {', '.join(missing)}")
    for name, value in state.items():
        if not np.issubdtype(value.dtype, np.floating):
            raise WeightsError(f"{path}: {name} has dtype {value.dtype}, expected floating point")
    return state
