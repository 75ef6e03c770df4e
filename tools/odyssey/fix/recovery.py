"""The recovery hook every ``odyssey`` command runs first: undo a fix that was interrupted (killed, power lost).

Cheap when there is nothing to do (one ``lstat`` of the journal directory); the journal machinery is imported only
when a journal is there. See ``odyssey.fix.journal`` for what recovery does.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TextIO

logger = logging.getLogger(__name__)

JOURNAL_DIR = ".odyssey-fix-journal"


def recover_at_startup(root: Path, stream: TextIO | None = None) -> bool:
    """Roll back an interrupted ``odyssey fix --apply`` at ``root``, printing one line about it on ``stream``
    (stderr). Returns False when the tree could not be restored: the command should then stop with exit status 2.

    A fix still being applied by another live process is left alone (a notice is printed; True is returned).
    """
    if not os.path.lexists(Path(root) / JOURNAL_DIR):
        return True
    from odyssey.fix.journal import JournalBusy, JournalError, recover_interrupted_fix

    out = stream if stream is not None else sys.stderr
    try:
        notice = recover_interrupted_fix(Path(root))
    except JournalBusy as exc:
        print(f"odyssey: warning: {exc}", file=out)
        return True
    except JournalError as exc:
        print(f"odyssey: error: cannot recover an interrupted fix: {exc}", file=out)
        return False
    if notice:
        print(f"odyssey: {notice}", file=out)
    return True
