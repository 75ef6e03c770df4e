"""Threads for LeNet-5: a tiny persistent pool that runs batch shards side by side, and BLAS thread pinning.

numpy releases the GIL inside BLAS calls and most ufunc loops, so two threads working on two halves of a batch keep
two cores busy. Workers are started once and then sleep on a queue between calls (a pool per call would cost more
than a LeNet-5 step on small batches). Which thread runs which task varies from call to call, so callers make each
task's result depend on the task alone and combine results in task order: the thread count never changes a result.

BLAS threads: LeNet-5's matrices are small, so OpenBLAS's own threads buy nothing, and while they spin between calls
they take the core a shard thread needs -- measured here, a step ran 20-50x slower with both kinds of threads on a
loaded two-core machine. :func:`pin_blas_threads` therefore sets numpy's OpenBLAS to one thread (what threadpoolctl
would do, through ``openblas_set_num_threads``) unless the user chose a count in ``OPENBLAS_NUM_THREADS``,
``OMP_NUM_THREADS`` or ``GOTO_NUM_THREADS``. It affects the whole process and is a no-op for other BLAS libraries.
"""

from __future__ import annotations

import ctypes
import logging
import os
import queue
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

THREADS_ENV = "LENET5_THREADS"
BLAS_THREAD_ENVS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOTO_NUM_THREADS")
# Setter names across OpenBLAS builds: numpy's bundled scipy-openblas (64-bit ints, then 32) and a plain OpenBLAS.
_SET_THREADS_SYMBOLS = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads",
)
_blas_pinned = False


def _loaded_openblas_paths() -> list[str]:
    """Paths of OpenBLAS libraries mapped into this process (Linux), else the copy bundled with the numpy wheel."""
    paths: list[str] = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                path = line.rstrip("\n").split(maxsplit=5)[-1]
                if "openblas" in Path(path).name.lower() and path not in paths:
                    paths.append(path)
    except OSError:
        pass
    if not paths:
        import numpy

        paths = [str(p) for p in sorted((Path(numpy.__file__).parent.parent / "numpy.libs").glob("*openblas*"))]
    return paths


def pin_blas_threads(threads: int = 1) -> bool:
    """Set OpenBLAS to ``threads`` threads unless an environment variable already chose; True when it did so."""
    global _blas_pinned
    if _blas_pinned:
        return True
    chosen = [name for name in BLAS_THREAD_ENVS if os.environ.get(name)]
    if chosen:
        logger.debug("leaving BLAS threads to %s", chosen[0])
        return False
    for path in _loaded_openblas_paths():
        try:
            library = ctypes.CDLL(path)  # already loaded by numpy: this returns the same library
        except OSError:
            continue
        for symbol in _SET_THREADS_SYMBOLS:
            setter = getattr(library, symbol, None)
            if setter is not None:
                setter(ctypes.c_int(threads))
                logger.debug("set %s to %d thread(s) via %s", Path(path).name, threads, symbol)
                _blas_pinned = True
                return True
    logger.debug("no OpenBLAS found to pin; BLAS threads left as they are")
    return False


def default_threads() -> int:
    """``$LENET5_THREADS`` when set, else ``min(2, os.cpu_count())``: LeNet-5's batches are too small to feed more."""
    value = os.environ.get(THREADS_ENV)
    if value:
        try:
            threads = int(value)
        except ValueError:
            raise ValueError(f"{THREADS_ENV} must be a positive integer, got {value!r}") from None
        if threads < 1:
            raise ValueError(f"{THREADS_ENV} must be a positive integer, got {value!r}")
        return threads
    return max(1, min(2, os.cpu_count() or 1))


class _Call:
    """One :meth:`WorkerPool.run`: tasks are claimed one at a time by whichever thread is free."""

    def __init__(self, fn: Callable[[int, int], None], n_tasks: int) -> None:
        self.fn = fn
        self._tasks = iter(range(n_tasks))
        self._lock = threading.Lock()
        self._remaining = n_tasks
        self.done = threading.Event()
        self.error: BaseException | None = None

    def work(self, slot: int) -> None:
        """Run unclaimed tasks on this thread (``slot`` 0 is the caller) until none is left."""
        while True:
            with self._lock:
                task = next(self._tasks, None)
            if task is None:
                return
            try:
                self.fn(task, slot)
            except BaseException as exc:  # noqa: BLE001 -- handed to the caller, which re-raises it
                with self._lock:
                    self.error = self.error or exc
            finally:
                with self._lock:
                    self._remaining -= 1
                    if self._remaining == 0:
                        self.done.set()


def _worker(inbox: queue.SimpleQueue, slot: int) -> None:
    while True:
        call = inbox.get()
        if call is None:
            return
        call.work(slot)
        del call  # do not keep the caller's closure (and the model it holds) alive while idle


def _stop(inboxes: list[queue.SimpleQueue]) -> None:
    for inbox in inboxes:
        inbox.put(None)


class WorkerPool:
    """``threads - 1`` daemon workers plus the calling thread.

    Tasks are claimed dynamically: when a worker is slow to wake up (a busy machine), the caller simply runs more
    of the tasks itself instead of waiting. Callers must therefore make a task's result independent of the thread
    that runs it; ``slot`` (0 for the caller, 1.. for workers) only says which per-thread scratch space is free.
    """

    def __init__(self, threads: int) -> None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        self.threads = threads
        self._inboxes: list[queue.SimpleQueue] = []
        for slot in range(1, threads):
            inbox: queue.SimpleQueue = queue.SimpleQueue()
            threading.Thread(target=_worker, args=(inbox, slot), name=f"lenet5-worker-{slot}", daemon=True).start()
            self._inboxes.append(inbox)
        self._finalizer = weakref.finalize(self, _stop, self._inboxes)

    def run(self, fn: Callable[[int, int], None], n_tasks: int) -> None:
        """Call ``fn(task, slot)`` for every ``task`` in ``range(n_tasks)``; return when all are done, re-raising
        the first failure. No two concurrent calls of ``fn`` get the same ``slot``."""
        if n_tasks <= 0:
            return
        call = _Call(fn, n_tasks)
        for inbox in self._inboxes[: n_tasks - 1]:
            inbox.put(call)
        call.work(0)
        call.done.wait()
        if call.error is not None:
            raise call.error

    def close(self) -> None:
        """Stop the workers (also done automatically when the pool is garbage collected)."""
        self._finalizer()


_shared_pools: dict[int, WorkerPool] = {}
_shared_pools_lock = threading.Lock()


def shared_pool(threads: int) -> WorkerPool:
    """The process-wide pool with ``threads`` threads, started on first use (models and optimizers share it)."""
    with _shared_pools_lock:
        pool = _shared_pools.get(threads)
        if pool is None:
            pool = _shared_pools[threads] = WorkerPool(threads)
        return pool
