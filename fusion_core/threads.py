"""One thread per window from each numeric library: torch's intra-op pool and numpy's BLAS.

Windows fuse side by side, each on a core of its own (threads here, single-thread tasks on
Dask's workers). A library that starts a pool of its own per call then only adds threads that
wait: OpenBLAS's idle threads spin on ``sched_yield`` after each call (numpy's ``eigh`` of a
window's ~200×200 Gram matrix, the factor analysis's 300 small ones) on the cores the other
windows need. Measured on the 3000² scene, 2 cores, 2 windows at a time: 113 → 106 CPU-s.
BLAS pools are limited with threadpoolctl, which finds whichever BLAS numpy loaded (OpenBLAS,
MKL, BLIS) on every platform.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import torch
from threadpoolctl import threadpool_limits

__all__ = ["run_threads", "one_thread_each", "one_thread_each_from_now", "on_threads"]


def run_threads() -> int:
    """The threads a run may use in this process: torch's count (the user's setting, else the
    cores), at least one."""
    return max(1, torch.get_num_threads())


@contextmanager
def one_thread_each() -> Iterator[None]:
    """Within the block, torch and BLAS use one thread per calling thread; restored after
    (the process may be QGIS's, running other work)."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        torch.set_num_threads(saved)


def one_thread_each_from_now() -> None:
    """torch and BLAS use one thread per calling thread for the rest of this process (a Dask
    worker's, whose tasks are its threads)."""
    torch.set_num_threads(1)
    threadpool_limits(limits=1, user_api="blas")


def on_threads(threads: int) -> Callable[[Callable[[Any], Any], list], Iterator[Any]]:
    """A mapper (``mapper(function, items)``) over ``threads`` threads of this process, each with
    one torch and one BLAS thread, yielding the results in the items' order, at most ``threads``
    items running ahead of the one the caller holds; those not started are dropped when the
    caller stops. For work that GDAL or numpy does without Python's lock (decoding tiles)."""
    def mapper(function: Callable[[Any], Any], items: list) -> Iterator[Any]:
        with one_thread_each(), ThreadPoolExecutor(threads, thread_name_prefix="hsi-fusion") as pool:
            pending: deque = deque()
            try:
                for item in items:
                    pending.append(pool.submit(function, item))
                    if len(pending) > threads:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:
                    future.cancel()

    return mapper
