"""Window size from a memory bound: how big a window may be so a run stays under the bound.

A run's peak memory is the process as it stands (Python, torch, the model), GDAL's block cache,
the blending strips kept between window rows, and the windows in flight (one per worker, plus
the one being written when windows are fused on threads): each its LR and HR inputs, its output
and one more copy of it (a window kept whole while a neighbour it blends with is not done), and
the method's own working memory (:attr:`FusionMethod.memory_factor` copies of the output), and,
when the report's scan takes each window's inputs, those inputs once more (:func:`input_copies`:
held from the window's end until its region is written). The
largest core that fits is chosen, on the tile grid of the output.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import math
import sys
from typing import Callable, Optional

import psutil
import torch

from ..errors import InputError

__all__ = ["GDAL_CACHE_BYTES", "WORKER_GDAL_CACHE_BYTES", "WORKER_PROCESS_BYTES", "WORKER_RESULT_COPIES",
           "process_bytes", "release_free_memory", "give_back_heap", "device_free_bytes", "window_bytes",
           "input_copies", "strip_bytes", "core_unit", "choose_core"]

#: GDAL block cache used while reading and writing windows: large enough to keep the input
#: tiles that horizontally neighbouring windows share (two windows in flight), so most tiles
#: are decoded once per window row rather than once per window.
GDAL_CACHE_BYTES = 256 * 2**20
#: GDAL block cache of a Dask worker thread: a worker reads one window at a time and its
#: neighbours mostly go to other workers, so it keeps no tiles for them; each window's read is
#: one request, decoded once whatever the cache.
WORKER_GDAL_CACHE_BYTES = 64 * 2**20
#: Resident memory of an idle Dask worker process before its first window: a fresh interpreter
#: with torch, rasterio, distributed and the engine imported measures 320–340 MB (Debian 12,
#: torch 2.13 CPU; the embedded cluster's nannies live in the client's process).
WORKER_PROCESS_BYTES = 350 * 2**20
#: Output copies a window on a Dask worker holds beyond an in-process one: its result, kept on
#: the worker until the task that blends, writes and measures its region has run, beside the
#: next window (:func:`~fusion_core.windows.distributed.run_on_dask`), and the freed memory
#: glibc keeps for the next window. Measured on the 3000² scene (embedded cluster, cores of
#: 480 HR px): each worker peaks at 1.49–1.54 GB, which this model with the process above
#: puts at 1.6 GB.
WORKER_RESULT_COPIES = 1
_FLOAT = 4
_MARGIN = 0.9  # keep 10 % of the bound for what the estimate does not see (allocator, Python)


def process_bytes() -> int:
    """Resident memory of this process now, once the memory its allocator holds freed is given
    back to the system (:func:`release_free_memory`): what sizes the windows is what the process
    still uses, not the high-water mark of the estimation before them."""
    release_free_memory()
    return int(psutil.Process().memory_info().rss)


def release_free_memory() -> None:
    """Give the pages of freed heap memory back to the system. glibc keeps them resident after
    ``free`` (below the top of its heaps, and in every thread's arena): after the 3000² scene's
    estimation the process holds 1.14 GB, of which 0.76 GB is freed memory. Elsewhere (macOS,
    Windows, musl) nothing is done: their allocators return large blocks on release."""
    gc.collect()
    give_back_heap()


def give_back_heap() -> None:
    """Give glibc's freed heap pages back to the system (``malloc_trim``; nothing elsewhere). A
    Dask worker does so after each window and region: glibc keeps freed memory for reuse within
    a window (cheap), but what it keeps between windows, fragmented, grows past the memory limit
    Dask restarts a worker at."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Optional[Callable[[int], int]]:
    """glibc's ``malloc_trim``, or None where the C library has none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def device_free_bytes(device: torch.device) -> Optional[int]:
    """Free memory of a CUDA device, where a window's tensors live during its fusion; None for
    the CPU, whose memory the bound already covers."""
    if device.type != "cuda":
        return None
    return int(torch.cuda.mem_get_info(device)[0])


def window_bytes(core_lr: int, halo: int, ramp: int, scale: int, n_hsi: int, n_msi: int,
                 memory_factor: float) -> int:
    """Peak bytes of one window with a core of ``core_lr`` LR pixels (interior window)."""
    side_lr = core_lr + ramp + 2 * halo
    hr_pixels = (side_lr * scale) ** 2
    per_pixel = n_msi * 2 + n_hsi * (memory_factor + 2)  # inputs (+ normalised), output, a copy
    return int(_FLOAT * (hr_pixels * per_pixel + 2 * side_lr ** 2 * n_hsi))


def input_copies(n_hsi: int, n_msi: int, scale: int) -> float:
    """A window's inputs (LR-HSI and HR-MSI) as a number of copies of its output: what a
    window whose inputs are kept after it (the report's scan) holds besides its working memory."""
    return (n_msi + n_hsi / scale ** 2) / n_hsi


def strip_bytes(hr_width: int, ramp: int, scale: int, n_hsi: int) -> int:
    """Blending contributions kept between two window rows (the ramp strip, twice for safety)."""
    return _FLOAT * n_hsi * hr_width * ramp * scale * 2


def core_unit(scale: int) -> int:
    """Smallest core (LR pixels) whose HR edge is a multiple of 16, as TIFF tiles need."""
    return 16 // math.gcd(16, scale)


def choose_core(budget: int, lr_shape: tuple[int, int], halo: int, ramp: int, scale: int,
                n_hsi: int, n_msi: int, memory_factor: float, preferred_unit: int,
                room: str = "The memory bound", remedy: str = "raise MAX_MEMORY_GB") -> int:
    """The largest core (LR pixels, a multiple of ``preferred_unit``) whose window fits ``budget``.

    The whole scene is one window when it fits. Raises :class:`InputError` when not even the
    smallest window fits, saying how much memory it needs: ``room`` names where the budget comes
    from and ``remedy`` what to do.
    """
    longest = max(lr_shape)
    fits = lambda core: window_bytes(core, halo, ramp, scale, n_hsi, n_msi, memory_factor) <= budget * _MARGIN  # noqa: E731
    if window_bytes(longest, 0, 0, scale, n_hsi, n_msi, memory_factor) <= budget * _MARGIN:
        return longest
    smallest = core_unit(scale)
    for unit in (preferred_unit, smallest):  # cores on the preferred tile grid, else on 16 HR px
        unit = math.ceil(max(unit, ramp) / smallest) * smallest
        if unit < longest and fits(unit):
            core = unit
            while core + unit < longest and fits(core + unit):
                core += unit
            return core
    need = window_bytes(smallest, halo, ramp, scale, n_hsi, n_msi, memory_factor)
    raise InputError(
        f"{room} leaves {max(budget, 0) / 2**30:.2f} GB for the windows, but the smallest window "
        f"({smallest * scale} HR pixels a side, {n_hsi} bands) needs about "
        f"{need / _MARGIN / 2**30:.2f} GB: {remedy}."
    )
