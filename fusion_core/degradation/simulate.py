"""Simulation of an LR-HSI / HR-MSI pair from a reference HR-HSI (Wald's protocol)."""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ..errors import InputError
from .model import DegradationModel
from .operators import spatial_degrade, spectral_degrade

__all__ = ["simulate_pair", "add_noise"]


def add_noise(image: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Add white Gaussian noise at ``snr_db`` per band (signal power / noise power)."""
    power = np.mean(image.astype(np.float64) ** 2, axis=(1, 2), keepdims=True)
    sigma = np.sqrt(power / 10.0 ** (snr_db / 10.0))
    return (image + rng.standard_normal(image.shape) * sigma).astype(image.dtype)


def simulate_pair(
    reference: np.ndarray,
    model: DegradationModel,
    snr_db: Optional[float] = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Degrade a reference ``(C, H, W)`` into (LR-HSI ``(C, H/r, W/r)``, HR-MSI ``(M, H, W)``).

    Noise, when ``snr_db`` is given, is added independently to both images.
    """
    c, h, w = reference.shape
    r = model.scale
    if h % r or w % r:
        raise InputError(
            f"The reference is {h}×{w} pixels, not a multiple of SCALE={r}: crop it to "
            f"{h - h % r}×{w - w % r} or choose a ratio that divides both sizes."
        )
    if c != model.n_hsi_bands:
        raise InputError(f"The SRF has {model.n_hsi_bands} rows but the reference has {c} bands.")
    x = torch.from_numpy(np.ascontiguousarray(reference, dtype=np.float64))[None]
    lr = spatial_degrade(x, model.psf, r)[0].numpy()
    hr = spectral_degrade(x, model.srf)[0].numpy()
    if snr_db is not None:
        rng = np.random.default_rng(seed)
        lr, hr = add_noise(lr, snr_db, rng), add_noise(hr, snr_db, rng)
    return lr.astype(np.float32), hr.astype(np.float32)
