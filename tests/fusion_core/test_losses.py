"""Shared losses: they vanish on a consistent pair and grow with a wrong model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fusion_core.degradation import gaussian_psf
from fusion_core.errors import InputError
from fusion_core.losses import cross_degradation_loss, l1_loss, reconstruction_loss


def as_batch(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(array, dtype=np.float64))[None]


def test_l1_loss_is_the_mean_absolute_error():
    a = torch.tensor([[1.0, -2.0], [0.5, 0.0]])

    assert l1_loss(a, torch.zeros(2, 2)).item() == pytest.approx(3.5 / 4)


def test_l1_loss_rejects_different_shapes():
    with pytest.raises(InputError, match=r"same shape, got \(2, 3\) and \(3, 2\)"):
        l1_loss(torch.zeros(2, 3), torch.zeros(3, 2))


def test_losses_vanish_for_the_true_model_and_not_for_a_wrong_one(tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)
    x, y, z = as_batch(pair.reference), as_batch(pair.lr_hsi), as_batch(pair.hr_msi)
    psf, srf = torch.from_numpy(pair.model.psf), torch.from_numpy(pair.model.srf)
    wrong_psf = torch.from_numpy(gaussian_psf(pair.model.psf.shape[0], 1.0))

    assert cross_degradation_loss(y, z, psf, srf, 4).item() < 1e-5
    assert reconstruction_loss(x, y, z, psf, srf, 4).item() < 1e-5
    assert cross_degradation_loss(y, z, wrong_psf, srf, 4).item() > 1e-3
    assert reconstruction_loss(x, y, z, wrong_psf, srf, 4).item() > 1e-3
