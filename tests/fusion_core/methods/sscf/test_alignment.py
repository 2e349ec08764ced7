"""Relative alignment: the Fourier warp, and recovery of a known shift between the sensors."""

import numpy as np
import pytest
import torch

from fusion_core.methods.sscf.alignment import Alignment, estimate_alignment, noise_gains, warp


def test_zero_warp_is_the_identity_and_an_integer_shift_moves_pixels():
    x = torch.rand(2, 16, 20, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(warp(x, 0.0, 0.0, 0.0), x, atol=1e-12)
    smooth = torch.from_numpy(np.add.outer(np.sin(np.arange(16) / 3.0), np.cos(np.arange(20) / 4.0)))[None]
    moved = warp(smooth, 1.0, 0.0, 0.0)
    assert torch.allclose(moved[:, 4:-4, 4:-4], smooth[:, 3:-5, 4:-4], atol=1e-2)


def test_shift_between_sensors_is_recovered(wald_pair):
    _, lr, hr, model = wald_pair
    shifted = warp(hr.double(), 0.6, -0.4, 0.0)  # the MSI sits off the HSI's grid
    found = estimate_alignment(lr.double(), shifted, model.psf, model.srf, model.scale)
    assert found.dy == pytest.approx(-0.6, abs=0.1)
    assert found.dx == pytest.approx(0.4, abs=0.1)


def test_an_exactly_simulated_pair_needs_no_alignment(wald_pair):
    _, lr, hr, model = wald_pair
    assert estimate_alignment(lr.double(), hr.double(), model.psf, model.srf, model.scale).is_identity


def test_noise_gains_of_identity_and_blur():
    psf = np.full((2, 2), 0.25)
    hr_gain, lr_gain = noise_gains(Alignment(), psf, torch.float64, torch.device("cpu"))
    assert hr_gain == pytest.approx(1.0) and lr_gain == pytest.approx(0.25)
    blurred, _ = noise_gains(Alignment(blur=1.0), psf, torch.float64, torch.device("cpu"))
    assert blurred < 0.5
