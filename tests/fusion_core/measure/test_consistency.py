"""Consistency of a result with its inputs, in units of the inputs' own noise."""

import numpy as np
import pytest
import torch

from fusion_core.baselines import bicubic_upsample
from fusion_core.degradation import sensor_psf
from fusion_core.measure.consistency import (
    NOISE_FLOOR,
    choose_geometry,
    input_noise,
    noise_units,
    spatial_residual,
    spectral_residual,
)


def _units(pair, fused):
    noise = input_noise(pair.lr_hsi, pair.hr_msi, pair.model)
    spatial = spatial_residual(fused, pair.lr_hsi, pair.model.psf, pair.model.scale)
    spectral = spectral_residual(fused, pair.hr_msi, pair.model)
    return (float(np.median(noise_units(spatial, noise.hsi_normal))),
            float(np.median(noise_units(spectral, noise.msi_normal))))


def test_the_true_scene_gives_back_both_inputs_at_their_noise_level(pair):
    p = pair(snr_db=30)
    spatial, spectral = _units(p, p.reference)
    assert 0.7 < spatial < 1.4
    assert 0.7 < spectral < 1.4


def test_measured_noise_is_the_simulated_noise(pair):
    p = pair(snr_db=30)
    noise = input_noise(p.lr_hsi, p.hr_msi, p.model)
    expected = noise.hsi_rms / 10 ** (30 / 20)       # add_noise: band power / 10^(SNR/10)
    assert np.median(np.abs(noise.hsi / expected - 1)) < 0.15
    assert np.median(np.abs(noise.msi / (noise.msi_rms / 10 ** 1.5) - 1)) < 0.3


def test_a_nodata_swath_does_not_count_as_noise(pair):
    """A product's nodata (a swath edge across the crop) is left out of the noise, not read as
    a step to zero: the noise is the same as without the swath."""
    p = pair(size=96, snr_db=30)
    clean = input_noise(p.lr_hsi, p.hr_msi, p.model)
    lr, hr = p.lr_hsi.copy(), p.hr_msi.copy()
    lr[:, :, :9] = np.nan                               # a third of the scene, both images
    hr[:, :, :9 * p.model.scale] = np.nan
    swath = input_noise(lr, hr, p.model)
    assert np.median(np.abs(swath.msi / clean.msi - 1)) < 0.3
    assert np.median(np.abs(swath.hsi / clean.hsi - 1)) < 0.15
    assert np.allclose(swath.msi_rms, np.sqrt(np.mean(p.hr_msi[:, :, 36:] ** 2, axis=(1, 2))), rtol=1e-6)


def test_interpolation_does_not_give_back_the_hr_msi(pair):
    p = pair(snr_db=40)
    bicubic = bicubic_upsample(torch.from_numpy(p.lr_hsi), p.model.scale).numpy()
    assert _units(p, bicubic)[1] > 3.0 * _units(p, p.reference)[1] > 2.0


def test_clean_data_are_judged_against_the_noise_floor(pair):
    p = pair(snr_db=None)
    noise = input_noise(p.lr_hsi, p.hr_msi, p.model)
    assert np.all(noise.hsi_normal >= NOISE_FLOOR * noise.hsi_rms)
    assert _units(p, p.reference)[0] < 0.1           # round-off only: far below the floor


@pytest.mark.parametrize("bands", [None, [0, 13, 26, 39]])      # every band, or a few spread out
def test_the_geometry_the_result_is_on_is_recognised(pair, bands):
    p = pair(snr_db=40, psf=sensor_psf(4, 4.0, size=8, shift=(1.0, -0.75)))
    model = p.model
    noise = input_noise(p.lr_hsi, p.hr_msi, model)
    assert choose_geometry(p.reference, p.lr_hsi, p.hr_msi, model, noise, bands).name == "HR-MSI's"
    # The scene moved back by the PSF's offset: on the LR-HSI's geometry (SSCF's default result).
    from fusion_core.methods.sscf.alignment import warp

    dy, dx = model.psf_offset
    moved = warp(torch.from_numpy(p.reference.astype(np.float64)), -dy, -dx, 0.0).numpy()
    assert choose_geometry(moved, p.lr_hsi, p.hr_msi, model, noise, bands).name == "LR-HSI's"
