"""One window's work, the same in this process and on a Dask worker.

:func:`fuse_window` reads the window's LR-HSI and HR-MSI pixels, normalises them by the scene's
common factor, runs the method, undoes the normalisation and multiplies by the window's blending
weights; it returns the part of the result where those weights are not zero. It reseeds torch
before each window so a window's result does not depend on the order or the place it runs in.

Invalid pixels (NaN in either input) never reach the output: an HR pixel is fused only where it
and the LR pixel over it are valid. Where the LR-HSI has no value the result is NaN (nodata);
where only the HR-MSI has none, and where the two images disagree, it is the LR-HSI alone
(:mod:`.fallback`: those HR blocks are blanked before the method sees them). The method gets the
window with its gaps (:func:`~fusion_core.methods.gaps.fuse_with_gaps`, which decides how
they are bridged for its computation: :mod:`fusion_core.methods.gaps`). A window without any
pixel to fuse is not given to the method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import torch

from ..degradation import DegradationModel
from ..device import seed_everything
from ..errors import FusionError
from ..io.pair import scaled_rect
from ..methods.base import FusionConfig, FusionMethod
from ..methods.gaps import fuse_with_gaps
from ..methods.result_memory import ResultPool, lent
from ..progress import Progress
from .blend import window_weights
from .fallback import HsiFallback, with_hsi_fallback
from .layout import Window, WindowGrid
from .source import Source

__all__ = ["WindowJob", "KeepInputs", "ReadInputs", "inputs_within", "read_window", "fuse_window",
           "valid_output"]

#: Receives a window and its LR-HSI and HR-MSI pixels as read (before normalising), e.g. the
#: report's scan, which then need not read them again (:meth:`~fusion_core.report.region_scan.RegionScan.keep`).
KeepInputs = Callable[[Window, np.ndarray, np.ndarray], None]
#: A window's inputs as read: its LR rectangle ``lr_read`` ``(row0, col0, rows, cols)``, the
#: LR-HSI over it and the HR-MSI under it.
ReadInputs = tuple[tuple[int, int, int, int], np.ndarray, np.ndarray]


def inputs_within(read: ReadInputs, rect: tuple[int, int, int, int], scale: int
                  ) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """The LR-HSI over LR ``rect`` and the HR-MSI under it, cut (views) from a window's inputs
    ``read``; None when they do not cover ``rect``."""
    (y, x, h, w), lr, hr = read
    top, left, rows, cols = rect[0] - y, rect[1] - x, rect[2], rect[3]
    if min(top, left) < 0 or top + rows > h or left + cols > w:
        return None
    hy, hx, hh, hw = scaled_rect((top, left, rows, cols), scale)
    return lr[:, top:top + rows, left:left + cols], hr[:, hy:hy + hh, hx:hx + hw]


@dataclass
class WindowJob:
    """Everything a window needs, small enough to send to a worker with each task.

    Attributes:
        source: where the pixels are.
        method: the fusion method (a fresh, untrained instance).
        model: the scene's degradation model.
        config: preset, device, seed and options.
        norm: the scene's common normalising factor.
        grid: the window layout.
        torch_threads: threads torch may use per window (None: leave as set).
        out_bands: ``(count, positions)``: the output has ``count`` bands and the fused ones go
            to ``positions`` (the others, LR-HSI bands without valid pixels, stay NaN); None
            when every band is fused.
        fallback: the areas taken from the LR-HSI alone (the HR-MSI without a value, and
            disagreement when asked for), or None.
        worker_device: the device choice (``"auto"``, ``"cpu"``, ``"cuda"``) each Dask worker
            resolves for itself, so a CPU-only client still uses its workers' GPUs; ``""``
            keeps ``config.device`` everywhere.
    """

    source: Source
    method: FusionMethod
    model: DegradationModel
    config: FusionConfig
    norm: float
    grid: WindowGrid
    torch_threads: Optional[int] = None
    out_bands: Optional[tuple[int, tuple[int, ...]]] = None
    fallback: Optional[HsiFallback] = None
    worker_device: str = ""


def read_window(job: WindowJob, key: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The LR-HSI and HR-MSI pixels window ``key`` reads, as stored (physical values, NaN for
    nodata): read ahead of :func:`fuse_window` while another window is fused."""
    window = job.grid.window(*key)
    return job.source.read_lr(window.lr_read), job.source.read_hr(window.hr_read)


def fuse_window(job: WindowJob, key: tuple[int, int], progress: Optional[Progress] = None,
                keep: Optional[KeepInputs] = None,
                inputs: Optional[tuple[np.ndarray, np.ndarray]] = None,
                results: Optional[ResultPool] = None) -> np.ndarray:
    """The weighted fused window ``key`` over its HR support, float32 ``(C, rows, cols)``, NaN
    where the inputs are invalid; ``keep`` receives the window's inputs as read. ``inputs``:
    the window's pixels when already read (:func:`read_window`); ``results``: memory the
    method may write its result into (reused once the result is written and dropped)."""
    if job.torch_threads:
        torch.set_num_threads(job.torch_threads)
    window = job.grid.window(*key)
    lr, hr = inputs if inputs is not None else read_window(job, key)
    if keep is not None:
        keep(window, lr, hr)
    lr, hr = lr / job.norm, hr / job.norm
    if job.fallback is not None:
        hr = job.fallback.blank(hr, window.lr_read, job.grid.scale)
    valid = valid_output(lr, hr, job.grid.scale)
    expected = (lr.shape[0], hr.shape[1], hr.shape[2])
    if valid.any():
        with lent(results):
            out = _fused(job, lr, hr, progress)
        if out.shape != expected:
            raise FusionError(f"The method {job.method.name} returned {out.shape} for a window of "
                              f"{expected}.")
        out[:, ~valid] = np.nan
    else:
        out = np.full(expected, np.nan, dtype=np.float32)
    out = with_hsi_fallback(job.fallback, out, lr, window, job.model)
    out *= window_weights(job.grid, window)[None] * np.float32(job.norm)
    y0, x0 = window.hr_support[0] - window.hr_read[0], window.hr_support[1] - window.hr_read[1]
    out = out[:, y0:y0 + window.hr_support[2], x0:x0 + window.hr_support[3]]
    if job.out_bands is None:
        return out
    count, positions = job.out_bands
    full = np.full((count, *out.shape[1:]), np.nan, dtype=np.float32)
    full[list(positions)] = out
    return full


def _fused(job: WindowJob, lr: np.ndarray, hr: np.ndarray, progress: Optional[Progress]) -> np.ndarray:
    device = job.config.device
    seed_everything(job.config.seed)
    fused = fuse_with_gaps(job.method, torch.from_numpy(lr).to(device), torch.from_numpy(hr).to(device),
                           job.model, job.config, progress or Progress())
    return fused.detach().float().cpu().numpy()


def valid_output(lr: np.ndarray, hr: np.ndarray, scale: int) -> np.ndarray:
    """``(H, W)``: HR pixels valid in every HR-MSI band whose LR pixel is valid in every band."""
    lr_ok = np.all(np.isfinite(lr), axis=0)
    return np.repeat(np.repeat(lr_ok, scale, axis=0), scale, axis=1) & np.all(np.isfinite(hr), axis=0)
