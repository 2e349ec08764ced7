"""Small simulated pairs shared by the SSCF tests (seconds to fuse on a CPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fusion_core.degradation import DegradationModel, sensor_psf, simulate_pair


@pytest.fixture(scope="package")
def wald_pair(small_scene, six_band_srf):
    """(reference, LR-HSI, HR-MSI, model) at r = 4, Wald PSF, 6 Gaussian MSI bands, no noise."""
    model = DegradationModel(4, sensor_psf(4, 4.0), six_band_srf(small_scene.wavelengths_nm),
                             small_scene.wavelengths_nm)
    lr, hr = simulate_pair(small_scene.cube, model)
    return small_scene.cube.astype(np.float64), torch.from_numpy(lr), torch.from_numpy(hr), model
