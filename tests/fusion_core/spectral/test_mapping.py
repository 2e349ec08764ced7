"""Spectral maps: the global ridge map, its noise penalty, the local map, the ridge baseline."""

import numpy as np
import torch

from fusion_core.baselines import bicubic_upsample
from fusion_core.degradation import sensor_psf, spatial_degrade
from fusion_core.metrics import psnr
from fusion_core.spectral import apply_local_map, fit_local_map, fit_ridge_map, ridge_fusion


def _linear_scene(seed: int = 0):
    """An HR-MSI (4 bands) and an HSI (20 bands) that is exactly a linear map of it."""
    rng = np.random.default_rng(seed)
    msi = torch.from_numpy(rng.uniform(0.1, 1.0, (4, 32, 32)))
    weights = torch.from_numpy(rng.standard_normal((20, 4)))
    return msi, torch.einsum("cm,mhw->chw", weights, msi) + 0.5, weights


def test_ridge_map_recovers_an_exact_linear_relation():
    msi, hsi, weights = _linear_scene()
    fitted = fit_ridge_map(msi, hsi)
    assert torch.allclose(fitted.weights, weights, atol=1e-4)
    assert torch.allclose(fitted(msi), hsi, atol=1e-4)


def test_noise_penalty_shrinks_the_map():
    msi, hsi, _ = _linear_scene()
    plain = fit_ridge_map(msi, hsi)
    shrunk = fit_ridge_map(msi, hsi, noise_var=torch.full((4,), 0.05, dtype=torch.float64))
    assert shrunk.weights.norm() < 0.9 * plain.weights.norm()


def test_ridge_fusion_is_exact_when_the_hsi_is_a_linear_map_of_the_msi():
    msi, hsi, _ = _linear_scene(1)
    psf = sensor_psf(4, 4.0)
    lr = spatial_degrade(hsi[None], psf, 4)[0]
    fused = ridge_fusion(lr, msi, psf, 4)
    assert psnr(hsi.numpy(), fused.numpy()) > 60.0
    assert psnr(hsi.numpy(), bicubic_upsample(lr, 4).numpy()) < 30.0


def test_local_map_follows_a_spatially_varying_relation():
    rng = np.random.default_rng(2)
    guide = torch.from_numpy(rng.uniform(0.0, 1.0, (2, 24, 24)))
    slope = torch.linspace(-1.0, 1.0, 24, dtype=torch.float64)[None, :].expand(24, 24)
    target = (slope * guide[0])[None]
    local = fit_local_map(guide, target, radius=2, eps=1e-6)
    fitted = apply_local_map(local, guide, 1)
    global_fit = fit_ridge_map(guide, target)(guide)
    assert (fitted - target).norm() < 0.5 * (global_fit - target).norm()
