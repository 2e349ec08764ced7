"""Simulated pairs held in memory, with the truth behind them, for the report's figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import pytest

from fusion_core.degradation import DegradationModel, sensor_psf, simulate_pair
from fusion_core.sample import make_sample_scene


@dataclass
class Pair:
    """A reference ``(C, H, W)``, the LR-HSI and HR-MSI simulated from it, and their model."""

    reference: np.ndarray
    lr_hsi: np.ndarray
    hr_msi: np.ndarray
    model: DegradationModel


@pytest.fixture
def pair(six_band_srf) -> Callable[..., Pair]:
    """Factory: ``pair(size=64, bands=40, scale=4, snr_db=30, psf=None, seed=0)`` simulates the
    sample scene through a Gaussian PSF of FWHM = ratio (or ``psf``) and six Gaussian MSI bands."""

    def make(size: int = 64, bands: int = 40, scale: int = 4, snr_db: Optional[float] = 30.0,
             psf: Optional[np.ndarray] = None, seed: int = 0) -> Pair:
        scene = make_sample_scene(size, size, bands, seed=seed)
        kernel = sensor_psf(scale, float(scale)) if psf is None else psf
        model = DegradationModel(scale, kernel, six_band_srf(scene.wavelengths_nm),
                                 scene.wavelengths_nm, [f"B{i + 1}" for i in range(6)])
        lr, hr = simulate_pair(scene.cube, model, snr_db=snr_db, seed=seed)
        return Pair(scene.cube.astype(np.float32), lr, hr, model)

    return make
