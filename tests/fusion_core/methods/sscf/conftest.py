"""Small simulated pairs shared by the SSCF tests (seconds to fuse on a CPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fusion_core.degradation import DegradationModel, sensor_psf, simulate_pair
from fusion_core.sample import make_sample_scene

MSI_CENTRES_NM = np.array([490.0, 560.0, 665.0, 842.0, 1610.0, 2190.0])


def gaussian_srf(wavelengths: np.ndarray, centres: np.ndarray = MSI_CENTRES_NM,
                 width_nm: float = 40.0) -> np.ndarray:
    """Gaussian MSI bands over the HSI band centres, columns summing to one."""
    srf = np.exp(-0.5 * ((wavelengths[:, None] - centres[None]) / width_nm) ** 2)
    return srf / srf.sum(axis=0)


@pytest.fixture(scope="package")
def scene():
    """A 48×48 sample scene with 40 bands from 420 to 2450 nm."""
    return make_sample_scene(48, 48, 40, seed=0)


@pytest.fixture(scope="package")
def wald_pair(scene):
    """(reference, LR-HSI, HR-MSI, model) at r = 4, Wald PSF, 6 Gaussian MSI bands, no noise."""
    model = DegradationModel(4, sensor_psf(4, 4.0), gaussian_srf(scene.wavelengths_nm),
                             scene.wavelengths_nm)
    lr, hr = simulate_pair(scene.cube, model)
    return scene.cube.astype(np.float64), torch.from_numpy(lr), torch.from_numpy(hr), model
