"""True-colour quick-looks: which bands show red, green and blue, and how they are stretched.

The HSI's bands nearest 640, 550 and 470 nm show red, green and blue (without wavelengths: bands
at three quarters, half and a quarter of the band list). The HR-MSI shows, for each of them, the
MSI band whose estimated SRF weighs that HSI band most, so the two images look alike whatever
the sensors.
"""

from __future__ import annotations

import warnings
from typing import Optional

import numpy as np

from ..degradation import DegradationModel

__all__ = ["TRUE_COLOUR_NM", "hsi_rgb_bands", "msi_rgb_bands", "stretch", "block_mean"]

TRUE_COLOUR_NM = (640.0, 550.0, 470.0)
_PERCENTILES = (2.0, 98.0)


def hsi_rgb_bands(wavelengths: Optional[np.ndarray], n_bands: int) -> list[int]:
    """Indices of the HSI bands shown as red, green and blue."""
    if wavelengths is None:
        return [3 * n_bands // 4, n_bands // 2, n_bands // 4]
    wl = np.asarray(wavelengths, dtype=np.float64)
    return [int(np.argmin(np.abs(wl - nm))) for nm in TRUE_COLOUR_NM]


def msi_rgb_bands(model: DegradationModel, hsi_bands: list[int]) -> list[int]:
    """Indices of the MSI bands shown as red, green and blue: per HSI band of ``hsi_bands``, the
    MSI band whose SRF (relative to its peak) weighs it most."""
    relative = model.srf / np.maximum(model.srf.max(axis=0, keepdims=True), 1e-30)
    return [int(np.argmax(relative[b])) for b in hsi_bands]


def stretch(rgb: np.ndarray, limits: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    """An image ``(3, H, W)`` as ``(H, W, 3)`` uint8, each channel stretched between ``limits``
    ``(3, 2)`` (default: its 2nd and 98th percentiles); returns the image and the limits."""
    data = np.asarray(rgb, dtype=np.float64)
    if limits is None:
        limits = np.array([np.nanpercentile(c, _PERCENTILES) if np.isfinite(c).any() else (0.0, 1.0)
                           for c in data])
    low, high = limits[:, 0, None, None], limits[:, 1, None, None]
    scaled = np.clip((data - low) / np.maximum(high - low, 1e-30), 0.0, 1.0)
    return (np.nan_to_num(scaled) * 255).astype(np.uint8).transpose(1, 2, 0), limits


def block_mean(image: np.ndarray, most: int) -> np.ndarray:
    """A 2-D map reduced by block means to at most ``most`` pixels a side (NaN ignored)."""
    h, w = image.shape
    step = max(1, int(np.ceil(max(h, w) / most)))
    if step == 1:
        return image
    hh, ww = h // step * step, w // step * step
    if hh == 0 or ww == 0:
        return image[::step, ::step]
    blocks = image[:hh, :ww].reshape(hh // step, step, ww // step, step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN block stays NaN
        return np.nanmean(blocks, axis=(1, 3))
