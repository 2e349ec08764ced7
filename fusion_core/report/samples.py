"""A few sample pixels whose spectra the report shows before and after fusion.

Four LR pixels at the extremes of the LR-HSI's first two principal components (the most
different materials of the scene); for each, the LR-HSI spectrum, the fused spectrum at the
centre of its HR block, and the HR-MSI there (divided by the gains) at its bands' centres.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from ..degradation import DegradationModel
from ..spectral import principal_axes

__all__ = ["sample_pixels", "sample_spectra", "msi_centres"]


def sample_pixels(lr_hsi: np.ndarray, count: int = 4) -> list[tuple[int, int]]:
    """``(row, col)`` of up to ``count`` distinct LR pixels at the extremes of the first two
    principal components of ``lr_hsi`` ``(C, h, w)``."""
    import torch

    c, h, w = lr_hsi.shape
    flat = np.nan_to_num(lr_hsi.reshape(c, -1).astype(np.float64))
    centred = flat - flat.mean(axis=1, keepdims=True)
    axes = principal_axes(torch.from_numpy(centred))[0][:, :2].numpy()
    scores = axes.T @ centred
    chosen: list[int] = []
    for component in scores:
        for index in (int(np.argmax(component)), int(np.argmin(component))):
            if index not in chosen and len(chosen) < count:
                chosen.append(index)
    return [divmod(i, w) for i in chosen]


def msi_centres(model: DegradationModel) -> Optional[np.ndarray]:
    """Centre wavelength ``(M,)`` of each MSI band under the estimated SRF (None without HSI
    wavelengths)."""
    if model.hsi_wavelengths is None:
        return None
    return model.hsi_wavelengths @ model.srf


def sample_spectra(lr_hsi: np.ndarray, hr_msi: np.ndarray, fused: np.ndarray,
                   model: DegradationModel, pixels: list[tuple[int, int]],
                   in_scene: Optional[Callable[[int, int], tuple[int, int]]] = None) -> list[dict]:
    """For each LR pixel ``(row, col)`` of the images given: its LR-HSI spectrum, the fused
    spectrum and the HR-MSI (divided by the gains) at the centre of its HR block; the pixels
    (``lr_pixel``, ``hr_pixel``) are counted in the scene, placed there by ``in_scene``
    (the report's tiles; default: the images are the scene)."""
    r = model.scale
    out = []
    for row, col in pixels:
        hr_row, hr_col = row * r + r // 2, col * r + r // 2
        lr_at = in_scene(row, col) if in_scene is not None else (row, col)
        out.append({"lr_pixel": [int(v) for v in lr_at],
                    "hr_pixel": [int(v) * r + r // 2 for v in lr_at],
                    "lr_hsi": lr_hsi[:, row, col].astype(float).tolist(),
                    "fused": fused[:, hr_row, hr_col].astype(float).tolist(),
                    "hr_msi": (hr_msi[:, hr_row, hr_col] / model.msi_gain).astype(float).tolist()})
    return out
