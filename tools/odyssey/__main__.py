"""``python -m odyssey``."""

from __future__ import annotations

from odyssey.cli import main

raise SystemExit(main())
