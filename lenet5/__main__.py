"""``python -m lenet5``: the same as the ``lenet5`` command."""

from __future__ import annotations

from lenet5.cli import main

raise SystemExit(main())
