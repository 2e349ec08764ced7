"""Memory for a method's result, lent by the windowed runner and reused from window to window.

A window's result is its one C-band image at HR (198 bands of 624² pixels: 300 MB of float32).
Memory that large comes from the kernel fresh for each window: 75 000 pages to clear and map,
0.1–0.15 CPU-s a window, and the largest share of a run's page faults. The runner lends each
thread that fuses windows a :class:`ResultPool` (:func:`lent`); a method asks for its result's
memory with :func:`result_tensor`, which takes a buffer of the pool that nothing refers to any
more (the previous window's, once it has been blended and written) or, with none free, new
memory as before. Outside a lent pool (a method called on its own, a GPU) it is new memory.

Example::

    pool = ResultPool(size=3)
    with lent(pool):
        fused = method.fuse(lr, hr, model, config, progress)  # its result may be a pool buffer
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Iterator, Optional

import numpy as np
import torch

__all__ = ["ResultPool", "lent", "result_tensor"]

_here = threading.local()


class ResultPool:
    """At most ``size`` float32 buffers, each lent again once nothing outside the pool refers to
    it (no array or tensor over it is left); thread-safe."""

    def __init__(self, size: int):
        self.size = size
        self._buffers: list[np.ndarray] = []
        self._unlent = np.empty(0, np.float32)  # never lent: how many references "none" is
        self._lock = threading.Lock()

    def take(self, count: int) -> np.ndarray:
        """A float32 array of ``count`` elements (uninitialised): the smallest free buffer that
        holds it, else new memory, kept for later when the pool has room or a free buffer too
        small to keep."""
        with self._lock:
            free = self._free()
            fits = [b for b in free if b.size >= count]
            if fits:
                return min(fits, key=lambda b: b.size)[:count]
            buffer = np.empty(count, np.float32)
            if len(self._buffers) >= self.size and free:  # trade the smallest free one for it
                smallest = min(free, key=lambda b: b.size)
                self._buffers = [b for b in self._buffers if b is not smallest]
            if len(self._buffers) < self.size:
                self._buffers.append(buffer)
            return buffer[:count]

    def _free(self) -> list[np.ndarray]:
        """The buffers nothing outside the pool refers to: each counted as the one never lent,
        in the same expression, so the count holds whatever the interpreter adds to it."""
        counts = [sys.getrefcount(b) for b in [self._unlent, *self._buffers]]
        return [b for b, n in zip(self._buffers, counts[1:]) if n <= counts[0]]


@contextmanager
def lent(pool: Optional[ResultPool]) -> Iterator[None]:
    """Within the block, :func:`result_tensor` on this thread takes from ``pool`` (None: new memory)."""
    saved = getattr(_here, "pool", None)
    _here.pool = pool
    try:
        yield
    finally:
        _here.pool = saved


def result_tensor(shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
    """An uninitialised float32 tensor of ``shape`` on ``like``'s device for a method's result:
    from the pool lent to this thread when there is one and the device is the CPU."""
    pool: Optional[ResultPool] = getattr(_here, "pool", None)
    if pool is None or like.device.type != "cpu":
        return torch.empty(shape, dtype=torch.float32, device=like.device)
    return torch.from_numpy(pool.take(int(np.prod(shape))).reshape(shape))
