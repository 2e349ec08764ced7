"""Spectral maps: the global ridge map, its noise penalty, the local map, the ridge baseline."""

import numpy as np
import pytest
import torch

from fusion_core.baselines import bicubic_upsample
from fusion_core.degradation import sensor_psf, spatial_degrade
from fusion_core.metrics import psnr
from fusion_core.spectral import apply_local_map, fit_local_map, fit_ridge_map, ridge_fusion, sample_moments


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


def test_ridge_map_from_the_pixels_equals_the_one_from_their_full_moments():
    msi, hsi, _ = _linear_scene(2)
    hsi = hsi + 0.01 * torch.randn(hsi.shape, generator=torch.Generator().manual_seed(1), dtype=hsi.dtype)
    noise = torch.full((4,), 1e-3, dtype=torch.float64)
    direct = fit_ridge_map(msi, hsi, noise)
    given = fit_ridge_map(msi, hsi, noise, sample_moments(hsi, msi, every_pixel=True))
    assert direct.strength == given.strength
    assert torch.allclose(direct.weights, given.weights, rtol=1e-9, atol=1e-12)
    assert torch.allclose(direct.bias, given.bias, rtol=1e-9, atol=1e-12)


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


def _straightforward_local_map(guide, target, radius, eps, noise_var, valid):
    """The local map as first written: every statistic for every coefficient at once, the
    systems solved pixel by pixel by torch.linalg.solve, interpolate for the HR coefficients."""
    from fusion_core.spectral.mapping import _box, _local_mean

    g, t = guide.double(), target.double()
    m = g.shape[0]
    mean = _local_mean(radius, valid)
    mg, mt = mean(g), mean(t)
    cov_gg = mean(g[:, None] * g[None]) - mg[:, None] * mg[None]
    cov_tg = mean(t[:, None] * g[None]) - mt[:, None] * mg[None]
    diagonal = cov_gg.diagonal(dim1=0, dim2=1)
    reg = eps * float(diagonal.mean() if valid is None else diagonal[valid].mean()) * torch.eye(m, dtype=g.dtype)
    system = cov_gg.permute(2, 3, 0, 1) + reg + torch.diag(noise_var)
    slopes = torch.linalg.solve(system, cov_tg.permute(2, 3, 1, 0)).permute(3, 2, 0, 1)
    offsets = mt - (slopes * mg[None]).sum(1)
    smooth = _local_mean(radius, None if valid is None else _box(valid.double(), radius) > 1e-9)
    return smooth(slopes), smooth(offsets)


@pytest.mark.parametrize("with_valid", [False, True])
def test_local_map_in_blocks_matches_the_straightforward_fit(monkeypatch, with_valid):
    from fusion_core.spectral import mapping

    rng = np.random.default_rng(5)
    guide = torch.from_numpy(rng.uniform(0.0, 1.0, (4, 20, 23)))
    target = torch.from_numpy(rng.standard_normal((5, 20, 23)))
    noise_var = torch.full((4,), 1e-3, dtype=torch.float64)
    valid = torch.from_numpy(rng.uniform(size=(20, 23)) > 0.2) if with_valid else None
    monkeypatch.setattr(mapping, "BLOCK_BYTES", 2 * 4 * 20 * 23 * 4)  # two coefficients a block
    local = fit_local_map(guide, target, 2, 1e-4, noise_var, valid)
    slopes, offsets = _straightforward_local_map(guide, target, 2, 1e-4, noise_var, valid)
    assert torch.allclose(local.slopes.double(), slopes, rtol=1e-4, atol=1e-5 * float(slopes.abs().max()))
    assert torch.allclose(local.offsets.double(), offsets, rtol=1e-4, atol=1e-5 * float(offsets.abs().max()))
    hr = torch.from_numpy(rng.uniform(0.0, 1.0, (4, 60, 69))).float()
    def up(x):
        return torch.nn.functional.interpolate(x[None], scale_factor=3, mode="bilinear", align_corners=False)[0]

    expected = up(local.offsets) + sum(up(local.slopes[:, b]) * hr[b] for b in range(4))
    assert torch.allclose(apply_local_map(local, hr, 3), expected, rtol=1e-5, atol=1e-5 * float(expected.abs().max()))
