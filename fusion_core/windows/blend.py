"""Blending weights of overlapping windows: linear ramps that add up to one everywhere.

Weights are separable: the weight of window ``(i, j)`` at HR pixel ``(y, x)`` is the product of
its row profile at ``y`` and its column profile at ``x``. On each axis, window ``k`` has weight
one on its core, rises from zero to one across the ramp after its first edge (where window
``k - 1`` falls from one to zero) and is zero elsewhere, so the profiles of all windows sum to
one at every pixel, and so do the products over the grid. Pixel centres are used, so no weight
is exactly zero or one inside a ramp and no pixel belongs to a single window by accident.
"""

from __future__ import annotations

import numpy as np

from .layout import AxisLayout, Window, WindowGrid

__all__ = ["axis_profile", "window_weights"]


def axis_profile(axis: AxisLayout, k: int, scale: int) -> np.ndarray:
    """Weights of window ``k`` along one axis, over its HR read extent (float64)."""
    e0, e1 = axis.extent(k)
    centres = np.arange(e0 * scale, e1 * scale, dtype=np.float64) + 0.5
    s0, s1 = axis.support(k)
    weights = ((centres >= s0 * scale) & (centres < s1 * scale)).astype(np.float64)
    if axis.ramp > 0:
        width = float(axis.ramp * scale)
        start, stop = axis.core(k)
        if k > 0:
            rising = (centres >= start * scale) & (centres < (start + axis.ramp) * scale)
            weights[rising] = (centres[rising] - start * scale) / width
        if k + 1 < axis.count:
            falling = (centres >= stop * scale) & (centres < s1 * scale)
            weights[falling] = 1.0 - (centres[falling] - stop * scale) / width
    return weights


def window_weights(grid: WindowGrid, window: Window) -> np.ndarray:
    """``(H, W)`` float32 weights of ``window`` over its HR read rectangle."""
    wy = axis_profile(grid.rows, window.row, grid.scale)
    wx = axis_profile(grid.cols, window.col, grid.scale)
    return np.outer(wy, wx).astype(np.float32)
