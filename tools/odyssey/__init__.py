"""odyssey: linters that keep an agent-written repository's documentation placed, linked and true."""

from __future__ import annotations

__version__ = "0.1.0"
