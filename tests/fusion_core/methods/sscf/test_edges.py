"""SSCF at a window's edge: an LR pixel whose PSF reaches beyond the window is not fitted on,
so an off-centre PSF (offset grids, misregistration) costs nothing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmarks.scenes import load_scene
from fusion_core.degradation import DegradationModel, add_noise, sensor_psf, spatial_degrade
from fusion_core.methods.base import FusionConfig
from fusion_core.methods.sscf import method as sscf
from fusion_core.metrics import psnr
from fusion_core.progress import Progress
from fusion_core.srf import load_preset
from fusion_core.srf.resample import resample_srf

R, LR_SIZE, MARGIN = 3, 24, 2  # MARGIN LR pixels of scene around the crop, for the sensor's PSF


@pytest.fixture(scope="module")
def scene(shared_data):
    """Jasper Ridge (real AVIRIS, 100×100) and Sentinel-2's 10 m bands: a smooth simulated
    scene hides the effect, real texture shows it."""
    jasper = load_scene("jasper_ridge", shared_data, reflectance=True)
    wavelengths = np.asarray(jasper.wavelengths, np.float64)
    srf = resample_srf(load_preset("sentinel-2a").select(["B2", "B3", "B4", "B8"]), wavelengths,
                       None if jasper.fwhm is None else np.asarray(jasper.fwhm, np.float64))
    return np.asarray(jasper.cube, np.float64), srf, wavelengths


def fused_crop(scene, shift: int, psf_offset: float) -> float:
    """PSNR of SSCF on the crop starting ``shift`` HR pixels past the margin, its LR pixels seen
    through the true PSF moved ``psf_offset`` HR pixels off their block's centre (diagonally)."""
    cube, srf, wavelengths = scene
    psf = sensor_psf(R, 3.0, size=13, shift=(psf_offset, psf_offset))
    start, size = MARGIN * R + shift, LR_SIZE * R
    around = cube[:, start - MARGIN * R:start + size + MARGIN * R, start - MARGIN * R:start + size + MARGIN * R]
    lr = spatial_degrade(torch.from_numpy(around)[None], psf, R)[0, :, MARGIN:-MARGIN, MARGIN:-MARGIN]
    hr = np.einsum("cm,chw->mhw", srf, cube[:, start:start + size, start:start + size])
    rng = np.random.default_rng(0)
    lr, hr = add_noise(lr.numpy(), 40.0, rng), add_noise(hr, 45.0, rng)
    model = DegradationModel(R, psf, srf, wavelengths)
    out = sscf.SSCF().fuse(torch.from_numpy(lr), torch.from_numpy(hr), model, FusionConfig(), Progress())
    inner = (slice(None), slice(2 * R, -2 * R), slice(2 * R, -2 * R))
    return psnr(cube[:, start:start + size, start:start + size][inner], out.numpy()[inner])


def test_an_off_centre_psf_costs_what_the_same_pixels_cost_on_a_centred_grid(scene):
    # A PSF one HR pixel off centre sees what a centred one sees on the grid one pixel further:
    # the same LR-HSI; only the HR pixels it is fused on move by one.
    off_centre, centred = fused_crop(scene, 0, 1.0), fused_crop(scene, 1, 0.0)
    assert abs(off_centre - centred) < 0.15


def test_fitting_on_the_edge_pixels_would_cost_an_off_centre_psf(scene, monkeypatch):
    centred = fused_crop(scene, 1, 0.0)
    monkeypatch.setattr(sscf, "FIT_OUTSIDE_SHARE", 1.0)  # every pixel fitted, reflected HR-MSI and all
    assert fused_crop(scene, 0, 1.0) < centred - 0.3


def test_a_tiny_image_is_fitted_on_every_pixel():
    """On a handful of LR pixels (the report's reduced-resolution pair of a small scene) the few
    away from the edges would give noisier estimates than the reflection at the edges is wrong:
    there every pixel is fitted on; a window of real size keeps to the pixels inside."""
    model = DegradationModel(4, sensor_psf(4, 6.0, size=16), np.full((8, 4), 1 / 8), None)

    def fitted_on(lr_size: int):
        lr = torch.rand(8, lr_size, lr_size, dtype=torch.float64)
        hr = torch.rand(4, 4 * lr_size, 4 * lr_size, dtype=torch.float64)
        return sscf._leave_out_gaps(lr, hr, model)[2]

    assert fitted_on(6) is None
    window = fitted_on(32)
    assert window is not None and 0.5 < float(window.double().mean()) < 1.0
