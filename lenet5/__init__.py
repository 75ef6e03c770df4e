"""A numpy LeNet-5 (LeCun et al. 1998) that trains on EMNIST, MNIST and Fashion-MNIST."""

from __future__ import annotations

__version__ = "0.1.0"
