"""Kernel windows and the LR pixels whose whole window lies inside the HR image.

A window is a rectangle of HR pixels placed relative to each LR block: LR pixel ``(i, j)`` reads
HR rows ``i r + top … i r + top + height - 1`` (columns likewise). The block-centred ``K × K``
kernel of :func:`fusion_core.degradation.spatial_degrade` is the window with
``top = left = -((K - r) // 2)``. Estimation uses only LR pixels whose window is inside the image
(no reflected borders) and whose pixels are all finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..degradation import block_centre

__all__ = ["Window", "Patches", "gather_patches", "MAX_PIXELS"]

#: LR pixels used at most; larger images are sampled on a regular lattice (keeps it fast).
MAX_PIXELS = 6000


@dataclass(frozen=True)
class Window:
    """Rows ``top … top+height-1`` and columns ``left … left+width-1`` relative to a block's origin."""

    top: int
    left: int
    height: int
    width: int

    @classmethod
    def centred(cls, size: int, scale: int) -> "Window":
        """The window of a block-centred ``size × size`` kernel."""
        start = -((size - scale) // 2)
        return cls(start, start, size, size)

    @property
    def size(self) -> int:
        return self.height * self.width

    def embed(self, kernel: np.ndarray, scale: int) -> np.ndarray:
        """The kernel ``(height, width)`` placed in the smallest block-centred square that holds it."""
        size = scale
        while True:
            outer = Window.centred(size, scale)
            if (outer.top <= self.top and outer.left <= self.left
                    and self.top + self.height <= outer.top + size
                    and self.left + self.width <= outer.left + size):
                break
            size += 1
        out = np.zeros((size, size))
        out[self.top - outer.top:self.top - outer.top + self.height,
            self.left - outer.left:self.left - outer.left + self.width] = kernel
        return out

    def centre_offset(self, scale: int) -> tuple[float, float]:
        """Where the block centre falls inside the window, (row, column) in window pixels."""
        centre = block_centre(scale, scale)
        return centre - self.top, centre - self.left


@dataclass
class Patches:
    """Equations of one window: LR spectra ``y (C, n)`` and HR patches ``a (M, n, height·width)``."""

    y: np.ndarray
    a: np.ndarray
    rows: np.ndarray
    cols: np.ndarray

    @property
    def n_pixels(self) -> int:
        return int(self.y.shape[1])


def interior(n_lr: int, n_hr: int, scale: int, start: int, length: int) -> np.ndarray:
    """LR indices ``i`` whose HR span ``i r + start … + length - 1`` lies inside ``0 … n_hr - 1``."""
    i = np.arange(n_lr)
    return i[(i * scale + start >= 0) & (i * scale + start + length <= n_hr)]


def count_interior(lr_shape: tuple[int, int], hr_shape: tuple[int, int], scale: int, window: Window) -> int:
    """How many LR pixels have the whole ``window`` inside the HR image."""
    rows = interior(lr_shape[0], hr_shape[0], scale, window.top, window.height)
    cols = interior(lr_shape[1], hr_shape[1], scale, window.left, window.width)
    return int(rows.size * cols.size)


def gather_patches(lr: np.ndarray, hr: np.ndarray, scale: int, window: Window,
                   bad_hr: np.ndarray, bad_lr: np.ndarray) -> Patches:
    """Equations of the LR pixels whose window is inside the image and free of bad pixels.

    Args:
        lr: LR-HSI ``(C, h, w)``; hr: HR-MSI ``(M, H, W)`` (bad pixels already zeroed).
        bad_hr: ``(H, W)`` True where any HR-MSI band is not finite; bad_lr: ``(h, w)`` likewise.
    """
    rows = interior(lr.shape[1], hr.shape[1], scale, window.top, window.height)
    cols = interior(lr.shape[2], hr.shape[2], scale, window.left, window.width)
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    rr, cc = rr.ravel(), cc.ravel()
    top, left = rr * scale + window.top, cc * scale + window.left
    keep = ~bad_lr[rr, cc]
    if bad_hr.any():
        sat = np.pad(np.cumsum(np.cumsum(bad_hr, 0), 1), ((1, 0), (1, 0)))
        h, w = window.height, window.width
        keep &= (sat[top + h, left + w] - sat[top, left + w] - sat[top + h, left] + sat[top, left]) == 0
    rr, cc, top, left = rr[keep], cc[keep], top[keep], left[keep]
    if rr.size > MAX_PIXELS:
        pick = np.linspace(0, rr.size - 1, MAX_PIXELS).round().astype(int)
        rr, cc, top, left = rr[pick], cc[pick], top[pick], left[pick]
    y = lr[:, rr, cc]
    a = np.stack([sliding_window_view(band, (window.height, window.width))[top, left]
                  .reshape(rr.size, -1) for band in hr])
    return Patches(y, a, rr, cc)
