"""PyTorch LeNet-5 equivalent to ``lenet5.model.LeNet5`` (same state_dict), for the cross-check test and the benchmark.

Kept out of the ``lenet5`` package on purpose: torch is a reference here, never a dependency.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lenet5.model import C3_TABLE


class ScaledTanh(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1.7159 * torch.tanh(x * (2.0 / 3.0))


class TorchLeNet5(nn.Module):
    """The textbook PyTorch formulation: conv(+bias) -> activation -> pool, flatten, three linear layers."""

    def __init__(self, num_classes: int = 47, variant: str = "modern", c3_table: bool = False) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)
        self.variant = variant
        mask = torch.from_numpy(np.ascontiguousarray(C3_TABLE.T, dtype=np.float32))[:, :, None, None]
        # A buffer that is not persistent: the state_dict keeps exactly the ten parameter names.
        self.register_buffer("c3_mask", mask if c3_table else torch.ones(16, 6, 1, 1), persistent=False)
        if variant == "modern":
            self.act: nn.Module = nn.ReLU()
            self.pool: nn.Module = nn.MaxPool2d(2)
        elif variant == "classic":
            self.act = ScaledTanh()
            self.pool = nn.AvgPool2d(2)
        else:
            raise ValueError(f"unknown variant {variant!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.act(self.conv1(x)))
        x = self.pool(self.act(F.conv2d(x, self.conv2.weight * self.c3_mask.to(x.dtype), self.conv2.bias)))
        x = torch.flatten(x, 1)
        x = self.act(self.fc1(x))
        x = self.act(self.fc2(x))
        return self.fc3(x)


def from_numpy_state(state: dict[str, np.ndarray], num_classes: int, variant: str, c3_table: bool) -> TorchLeNet5:
    """A TorchLeNet5 holding ``state`` (a lenet5 state_dict), in the state's dtype."""
    model = TorchLeNet5(num_classes, variant, c3_table)
    if next(iter(state.values())).dtype == np.float64:
        model = model.double()
    model.load_state_dict({name: torch.from_numpy(np.array(value)) for name, value in state.items()})
    return model
