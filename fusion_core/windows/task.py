"""One window's work, the same in this process and on a Dask worker.

:func:`fuse_window` reads the window's LR-HSI and HR-MSI pixels, normalises them by the scene's
common factor, runs the method, undoes the normalisation and multiplies by the window's blending
weights; it returns the part of the result where those weights are not zero. It reseeds torch
before each window so a window's result does not depend on the order or the place it runs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from ..degradation import DegradationModel
from ..device import seed_everything
from ..errors import FusionError
from ..methods.base import FusionConfig, FusionMethod
from ..progress import Progress
from .blend import window_weights
from .layout import WindowGrid
from .source import Source

__all__ = ["WindowJob", "fuse_window"]


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
    """

    source: Source
    method: FusionMethod
    model: DegradationModel
    config: FusionConfig
    norm: float
    grid: WindowGrid
    torch_threads: Optional[int] = None


def fuse_window(job: WindowJob, key: tuple[int, int],
                progress: Optional[Progress] = None) -> np.ndarray:
    """The weighted fused window ``key`` over its HR support, float32 ``(C, rows, cols)``."""
    if job.torch_threads:
        torch.set_num_threads(job.torch_threads)
    window = job.grid.window(*key)
    lr = job.source.read_lr(window.lr_read) / job.norm
    hr = job.source.read_hr(window.hr_read) / job.norm
    device = job.config.device
    seed_everything(job.config.seed)
    fused = job.method.fuse(torch.from_numpy(lr).to(device), torch.from_numpy(hr).to(device),
                            job.model, job.config, progress or Progress())
    out = fused.detach().float().cpu().numpy()
    expected = (lr.shape[0], hr.shape[1], hr.shape[2])
    if out.shape != expected:
        raise FusionError(f"The method {job.method.name} returned {out.shape} for a window of {expected}.")
    out *= window_weights(job.grid, window)[None] * np.float32(job.norm)
    y0, x0 = window.hr_support[0] - window.hr_read[0], window.hr_support[1] - window.hr_read[1]
    return out[:, y0:y0 + window.hr_support[2], x0:x0 + window.hr_support[3]]
